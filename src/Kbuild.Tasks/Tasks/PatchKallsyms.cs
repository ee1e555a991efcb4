using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.IO;
using Kbuild.Kallsyms;
using Kbuild.Linking;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Pass 2 of the single link: the real kallsyms table of a linked image, patched into its reservation,
/// verified, and written to OutputFile (the input image is never modified). When the table does not fit
/// and ContinueOnOverflow is set, warns and sets Overflowed so the build can relink; otherwise fails.
/// </summary>
public sealed class PatchKallsyms : KallsymsTask
{
    /// <summary>The linked, unpatched image.</summary>
    [Required] public string Image { get; set; } = "";
    [Required] public string OutputFile { get; set; } = "";
    public bool ContinueOnOverflow { get; set; }

    [Output] public bool Overflowed { get; private set; }

    /// <summary>Bytes of the real table, and of the room the image reserved for it.</summary>
    [Output] public int TableBytes { get; private set; }
    [Output] public int ReservedBytes { get; private set; }

    protected override void Run()
    {
        var (layout, options) = (Layout, Options);
        // Copying a debug kernel takes a while: let it run while the real table is generated.
        using var staged = BackgroundCopy.Start(Image, OutputFile);
        KallsymsPatchPlan plan;
        using (var image = ElfImage.Open(Image))
        {
            var symbols = SysmapWriter.Symbols(image, Filter);
            var table = KallsymsGenerator.Generate(symbols, layout, options, new KallsymsTarget(image.Class, image.IsLittleEndian), Image);
            foreach (var warning in table.Warnings) LogWarning(ErrorCodes.KallsymsNameTooLong, Image, warning);
            plan = KallsymsPatcher.Plan(image, table);
        }

        if (!plan.Fits && ContinueOnOverflow)
        {
            LogWarning(ErrorCodes.KallsymsReservationOverflow, Image,
                $"the kallsyms table outgrew its reservation ({plan.DescribeOverflow()}); relinking once with a reservation " +
                "sized from the real symbols. Raise KallsymsSlackPercent or KallsymsSlackMinBytes to avoid the extra link.");
            Overflowed = true;
            return;
        }
        KallsymsPatcher.Patch(plan, staged, patched => KallsymsDecoder.Decode(patched, AbsolutePercpu));
        (TableBytes, ReservedBytes) = (plan.TableBytes, plan.ReservedBytes);
        Log.LogMessage(MessageImportance.High, plan.Describe());
    }
}
