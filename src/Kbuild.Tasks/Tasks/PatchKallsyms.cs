using Kbuild.Diagnostics;
using Kbuild.Image;
using Kbuild.Kernel;
using Kbuild.Table;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Pass 2 of the single link (<see cref="KallsymsPatcher.Run"/>): the real kallsyms table of a linked image, patched into
/// its reservation in place, verified, the build ID recomputed over the patched bytes, and the image renamed onto
/// OutputFile (it must be on OutputFile's file system). The image is left as linked when it is not patched (a relink
/// reads its symbols). When MayRelink is set and the reservation does not fit the real table — too small, or, without
/// slack, not exactly its size (then the image would not have make's layout) — warns and sets NeedsRelink so the
/// build relinks with an exact reservation; otherwise a too small room fails and a larger one is padded.
/// </summary>
public sealed class PatchKallsyms : KallsymsTask
{
    /// <summary>The linked, unpatched image: patched in place, then renamed onto OutputFile.</summary>
    [Required] public string Image { get; set; } = "";

    /// <summary>Each array's room, written by ReserveKallsyms beside the reservation object.</summary>
    [Required] public string ReservationRooms { get; set; } = "";

    [Required] public string OutputFile { get; set; } = "";

    /// <summary>The flags the image was linked with: their --build-id says how to recompute the ID.</summary>
    public string? LinkerFlags { get; set; }

    public bool MayRelink { get; set; }

    [Output] public bool NeedsRelink { get; private set; }

    /// <summary>Bytes of the real table, and of the room the image reserved for it.</summary>
    [Output] public int TableBytes { get; private set; }
    [Output] public int ReservedBytes { get; private set; }

    protected override void Run()
    {
        var rules = Rules;
        var outcome = KallsymsPatcher.Run(new KallsymsPatchRequest(Image, rules, Table.ReservationRooms.Read(ReservationRooms), OutputFile)
        {
            LinkerFlags = ShellWords.CommandLine(LinkerFlags), MayRelink = MayRelink,
            CompressNames = KallsymsReserver.CompressedNamesBeside(ReservationRooms, ReportIgnoredCache),
        });
        foreach (var warning in outcome.TableWarnings) LogWarning(ErrorCodes.KallsymsNameTooLong, Image, warning);
        if (outcome.NeedsRelink)
        {
            LogWarning(outcome.RelinkCode!, Image, outcome.RelinkReason!);
            NeedsRelink = true;
            return;
        }
        (TableBytes, ReservedBytes) = (outcome.Plan.TableBytes, outcome.Plan.ReservedBytes);
        Log.LogMessage(MessageImportance.Normal, outcome.Plan.Describe());
        if (outcome.PaddingNote is { } note) Log.LogMessage(MessageImportance.High, note);
    }
}
