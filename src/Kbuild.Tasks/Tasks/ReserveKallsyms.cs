using Kbuild.IO;
using Kbuild.Archives;
using Kbuild.Elf;
using Kbuild.Kallsyms;
using Kbuild.Linking;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Pass 1 of the single link: the kallsyms reservation object. From the link inputs and the linker script
/// (the superset of the final symbols), or, for the relink after an overflow, from a linked image's real
/// symbols. Writes OutputFile's .S beside it and assembles it with Cc; each array's room goes to RoomsFile.
/// </summary>
public sealed class ReserveKallsyms : KallsymsTask
{
    public ITaskItem[] Objects { get; set; } = [];
    public ITaskItem[] Libraries { get; set; } = [];
    public string? LinkerScript { get; set; }

    /// <summary>Reserve exactly for this linked image's symbols instead of the link inputs' superset.</summary>
    public string? FromImage { get; set; }

    public int SlackPercent { get; set; }
    public int SlackMinBytes { get; set; }
    /// <summary>The linker and its flags: an LLVM bitcode object (an LTO kernel's) is predicted from what
    /// <c>$(Ld) $(LdFlags) -r</c> makes of it, and ld.lld makes hidden symbols local.</summary>
    public string? Ld { get; set; }
    public string? LdFlags { get; set; }

    public string Cc { get; set; } = "gcc";
    public string? AFlags { get; set; }

    /// <summary>The reservation object (the .S goes beside it).</summary>
    [Required] public string OutputFile { get; set; } = "";

    /// <summary>Each array's room, for PatchKallsyms (the image itself records no sizes, as the kernel's table).</summary>
    [Required] public string RoomsFile { get; set; } = "";

    /// <summary>Bytes reserved for the whole table.</summary>
    [Output] public int ReservedBytes { get; private set; }

    protected override void Run()
    {
        var (layout, options) = (Layout, Options);
        var filter = Filter;
        var slack = new ReservationSlack(SlackPercent, SlackMinBytes);

        Reservation reservation;
        if (FromImage is { Length: > 0 })
        {
            using var image = ElfImage.Open(FromImage);
            var table = KallsymsGenerator.Generate(SysmapWriter.Symbols(image, filter), layout, options,
                new KallsymsTarget(image.Class, image.IsLittleEndian), FromImage);
            reservation = Reservation.FromTable(table, slack);
        }
        else
        {
            var objects = BitcodeStandIns.Substitute(Objects.Select(i => i.ItemSpec).ToList(), Ld, LdFlags,
                Path.Combine(Path.GetDirectoryName(Path.GetFullPath(OutputFile))!, "lto-stand-ins"), Tools);
            var superset = LinkPrediction.SystemMapSymbols(objects, Libraries.Select(i => i.ItemSpec).ToList(), LinkerScript,
                layout, options, filter, linkerIsLld: Ld is { Length: > 0 } && LldFlags.IsLld(Ld));
            reservation = Reservation.Create(superset, layout, options, TargetOf(objects), slack);
        }

        var source = Path.ChangeExtension(OutputFile, ".S");
        AtomicOutput.WriteAllText(source, reservation.ToAssembly());
        KallsymsObjectAssembler.Assemble(Cc, AFlags, source, OutputFile, Tools);
        AtomicOutput.WriteAllText(RoomsFile, reservation.Rooms.ToJson());
        ReservedBytes = reservation.TotalReserved;
        Log.LogMessage(MessageImportance.High, reservation.Describe());
    }

    private static KallsymsTarget TargetOf(IReadOnlyList<string> objects)
    {
        var inputs = LinkInputs.Expand(objects);
        if (inputs.Count == 0) return KallsymsTarget.X86_64;
        using var first = inputs[0].Open();
        return new KallsymsTarget(first.Class, first.IsLittleEndian);
    }
}
