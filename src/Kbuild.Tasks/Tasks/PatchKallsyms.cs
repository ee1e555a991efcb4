using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Image;
using Kbuild.IO;
using Kbuild.Table;
using Microsoft.Build.Framework;
using Kbuild.Kernel;

namespace Kbuild.Tasks;

/// <summary>
/// Pass 2 of the single link: the real kallsyms table of a linked image, patched into its reservation in place,
/// verified, the build ID recomputed over the patched bytes, and the image renamed onto OutputFile (it must be on
/// OutputFile's file system). The image is left as linked when it is not patched (a relink reads its symbols). When MayRelink is set and the reservation does not fit the real table — too small, or, without
/// slack, not exactly its size (then the image would not have make's layout) — warns and sets NeedsRelink so the
/// build relinks with an exact reservation; otherwise a too small room fails and a larger one is padded.
/// </summary>
public sealed class PatchKallsyms : KallsymsTask
{
    /// <summary>The linked, unpatched image: patched in place, then renamed onto OutputFile.</summary>
    [Required] public string Image { get; set; } = "";

    /// <summary>Each array's room, written by GenerateKallsyms beside the reservation object.</summary>
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
        var rooms = Table.ReservationRooms.Read(ReservationRooms);
        KallsymsPatchPlan plan;
        BuildIdHash? buildId;
        using (var image = ElfImage.Open(Image))
        {
            var table = rules.TableOf(image, new CacheFile(ObjCaches.Beside(ReservationRooms, ObjCaches.Names), ReportIgnoredCache));
            foreach (var warning in table.Warnings) LogWarning(ErrorCodes.KallsymsNameTooLong, Image, warning);
            plan = KallsymsPatcher.Plan(image, table, rooms);
            buildId = BuildId.HashFromFlags(ShellWords.CommandLine(LinkerFlags), BuildId.LinkerOf(image));
        }

        if (MayRelink && !plan.Fits)
        {
            LogWarning(ErrorCodes.KallsymsReservationOverflow, Image,
                $"the kallsyms table outgrew its reservation ({plan.DescribeOverflow()}); relinking once with a reservation " +
                "sized from the real symbols. Raise KallsymsSlackPercent or KallsymsSlackMinBytes to avoid the extra link.");
            NeedsRelink = true;
            return;
        }
        if (MayRelink && rooms.Slack.IsNone && !plan.IsExact)
        {
            LogWarning(ErrorCodes.KallsymsPredictionMissed, Image,
                $"the predicted kallsyms table is not the real one ({plan.DescribeMismatch()}); relinking once with an exact " +
                "reservation so vmlinux has the kernel's own layout. Set KallsymsSlackPercent above 0 to pad instead of relinking.");
            NeedsRelink = true;
            return;
        }
        KallsymsPatcher.Patch(plan, OutputFile, patched => KallsymsDecoder.Decode(patched, AbsolutePercpu), buildId);
        (TableBytes, ReservedBytes) = (plan.TableBytes, plan.ReservedBytes);
        Log.LogMessage(MessageImportance.Normal, plan.Describe());
        if (!plan.IsExact)
            Log.LogMessage(MessageImportance.High,
                $"kallsyms: the table is smaller than its room, padded with zeros ({plan.DescribeMismatch()}); " +
                "vmlinux is correct but its layout is not the kernel's make's.");
    }
}
