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
        string? key = null;
        if (FromImage is { Length: > 0 })
        {
            using var image = ElfImage.Open(FromImage);
            var table = KallsymsGenerator.Generate(SysmapWriter.Symbols(image, filter), layout, options,
                new KallsymsTarget(image.Class, image.IsLittleEndian), FromImage);
            reservation = Reservation.FromTable(table, slack);
        }
        else
        {
            var superset = LinkPrediction.SystemMapSymbols(Objects.Select(i => i.ItemSpec).ToList(),
                Libraries.Select(i => i.ItemSpec).ToList(), LinkerScript, layout, options, filter,
                Path.Combine(Path.GetDirectoryName(Path.GetFullPath(OutputFile))!, "kallsyms.symbols.cache"));
            var target = TargetOf(Objects);
            key = ReservationReuse.KeyOf(superset, layout, options, target, slack, Cc, AFlags);
            if (ReservationReuse.TryReuse(OutputFile, RoomsFile, key) is { } rooms)
            {
                ReservedBytes = rooms.Arrays.Sum(a => a.Reserved);
                Log.LogMessage(MessageImportance.High,
                    $"kallsyms reservation: the predicted symbols are those of the last build ({superset.Count}); {OutputFile} kept ({ReservedBytes} bytes)");
                return;
            }
            reservation = Reservation.Create(superset, layout, options, target, slack);
        }

        ReservationReuse.Forget(OutputFile);
        var source = Path.ChangeExtension(OutputFile, ".S");
        AtomicOutput.WriteAllText(source, reservation.ToAssembly());
        KallsymsObjectAssembler.Assemble(Cc, AFlags, source, OutputFile, Tools);
        AtomicOutput.WriteAllText(RoomsFile, reservation.Rooms.ToJson());
        if (key != null) ReservationReuse.Remember(OutputFile, key);
        ReservedBytes = reservation.TotalReserved;
        Log.LogMessage(MessageImportance.High, reservation.Describe());
    }

    private static KallsymsTarget TargetOf(ITaskItem[] objects)
    {
        var inputs = LinkInputs.Expand(objects.Select(o => o.ItemSpec));
        if (inputs.Count == 0) return KallsymsTarget.X86_64;
        using var first = inputs[0].Open();
        return new KallsymsTarget(first.Class, first.IsLittleEndian);
    }
}
