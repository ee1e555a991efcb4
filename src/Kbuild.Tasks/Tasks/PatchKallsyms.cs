using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Image;
using Kbuild.Table;
using Kbuild.IO;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Pass 2 of the single link: the real kallsyms table of a linked image, patched into its reservation,
/// verified, the build ID recomputed over the patched bytes, and written to OutputFile (the input image is never
/// modified). When MayRelink is set and the reservation does not fit the real table — too small, or, without
/// slack, not exactly its size (then the image would not have make's layout) — warns and sets NeedsRelink so the
/// build relinks with an exact reservation; otherwise a too small room fails and a larger one is padded.
/// </summary>
public sealed class PatchKallsyms : KallsymsTask
{
    /// <summary>The linked, unpatched image.</summary>
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
        // Copying a debug kernel takes a while: let it run while the real table is generated.
        using var staged = BackgroundCopy.Start(Image, OutputFile);
        KallsymsPatchPlan plan;
        BuildIdHash? buildId;
        using (var image = ElfImage.Open(Image))
        {
            var table = rules.TableOf(image);
            foreach (var warning in table.Warnings) LogWarning(ErrorCodes.KallsymsNameTooLong, Image, warning);
            plan = KallsymsPatcher.Plan(image, table, rooms);
            buildId = BuildId.HashFromFlags((LinkerFlags ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries), BuildId.LinkerOf(image));
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
        KallsymsPatcher.Patch(plan, staged, patched => KallsymsDecoder.Decode(patched, AbsolutePercpu), buildId);
        (TableBytes, ReservedBytes) = (plan.TableBytes, plan.ReservedBytes);
        Log.LogMessage(MessageImportance.High, plan.Describe());
        if (!plan.IsExact)
            Log.LogMessage(MessageImportance.High,
                $"kallsyms: the table is smaller than its room, padded with zeros ({plan.DescribeMismatch()}); " +
                "vmlinux is correct but its layout is not the kernel's make's.");
    }
}
