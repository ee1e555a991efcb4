using Kbuild.Archives;
using Kbuild.Elf;
using Kbuild.IO;
using Kbuild.Kallsyms;

namespace Kbuild.Linking;

/// <summary>
/// Pass 1 of the single link as files: the reservation object (its .S beside it, assembled with the kernel's
/// compiler driver) and its rooms file. From the link inputs, incrementally: the inputs' symbols come from
/// obj/kallsyms.symbols.cache where unchanged (<see cref="InputSymbolCache"/>), and when the predicted symbols
/// are those of the last build the previous object is kept as it is (<see cref="ReservationReuse"/>).
/// </summary>
public static class ReservationPass
{
    /// <summary>What a pass wrote: the bytes reserved, and a line for the build log.</summary>
    public sealed record Result(int ReservedBytes, string Message);

    public static string SymbolCachePath(string objectFile) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(objectFile))!, "kallsyms.symbols.cache");

    /// <summary>The reservation for the link inputs' predicted symbols (the superset of the final ones).</summary>
    public static Result FromInputs(IReadOnlyList<string> objects, IReadOnlyList<string> libraries, string? linkerScript,
        KallsymsLayout layout, KallsymsOptions options, SysmapFilter filter, ReservationSlack slack,
        string cc, string? aflags, string objectFile, string roomsFile, ToolProcess? tools = null)
    {
        var superset = LinkPrediction.SystemMapSymbols(objects, libraries, linkerScript, layout, options, filter, SymbolCachePath(objectFile));
        var (target, machine) = TargetOf(objects);
        var key = ReservationReuse.KeyOf(superset, layout, options, target, slack, cc, aflags);
        if (ReservationReuse.TryReuse(objectFile, roomsFile, key) is { } rooms)
        {
            var bytes = rooms.Arrays.Sum(a => a.Reserved);
            return new Result(bytes, $"kallsyms reservation: the predicted symbols are those of the last build ({superset.Count}); {objectFile} kept ({bytes} bytes)");
        }
        return Write(Reservation.Create(superset, layout, options, target, slack), machine, cc, aflags, objectFile, roomsFile, key, tools);
    }

    /// <summary>The exact reservation for a linked image's real symbols (the relink after an overflow).</summary>
    public static Result FromImage(string imagePath, KallsymsLayout layout, KallsymsOptions options, SysmapFilter filter,
        ReservationSlack slack, string cc, string? aflags, string objectFile, string roomsFile, ToolProcess? tools = null)
    {
        KallsymsTable table;
        ushort machine;
        using (var image = ElfImage.Open(imagePath))
        {
            table = KallsymsGenerator.Generate(SysmapWriter.Symbols(image, filter), layout, options,
                new KallsymsTarget(image.Class, image.IsLittleEndian), imagePath);
            machine = image.Machine;
        }
        return Write(Reservation.FromTable(table, slack), machine, cc, aflags, objectFile, roomsFile, key: null, tools);
    }

    /// <summary>
    /// With GNU as behind the compiler driver (not clang's integrated assembler, whose object lays symbols out its own
    /// way), an x86-64 object is written directly (<see cref="ReservationObjectWriter"/>, the same bytes); the .S is
    /// written either way, to read.
    /// </summary>
    private static Result Write(Reservation reservation, ushort machine, string cc, string? aflags, string objectFile, string roomsFile,
        string? key, ToolProcess? tools)
    {
        ReservationReuse.Forget(objectFile);
        var source = Path.ChangeExtension(objectFile, ".S");
        AtomicOutput.WriteAllText(source, reservation.ToAssembly());
        if (!cc.Contains("clang", StringComparison.Ordinal) && ReservationObjectWriter.Supports(machine, reservation.Table))
            AtomicOutput.WriteAllBytes(objectFile, ReservationObjectWriter.Write(reservation.Table, reservation.ReservedSizes));
        else
            KallsymsObjectAssembler.Assemble(cc, aflags, source, objectFile, tools);
        AtomicOutput.WriteAllText(roomsFile, reservation.Rooms.ToJson());
        if (key != null) ReservationReuse.Remember(objectFile, key);
        return new Result(reservation.TotalReserved, reservation.Describe());
    }

    private static (KallsymsTarget Target, ushort Machine) TargetOf(IReadOnlyList<string> objects)
    {
        var inputs = LinkInputs.Expand(objects);
        if (inputs.Count == 0) return (KallsymsTarget.X86_64, 0);
        using var first = inputs[0].Open();
        return (new KallsymsTarget(first.Class, first.IsLittleEndian), first.Machine);
    }
}
