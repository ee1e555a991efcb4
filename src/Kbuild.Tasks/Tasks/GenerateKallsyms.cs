using Kbuild.IO;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Table;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// scripts/kallsyms as a task, in one of two modes. With <see cref="ReservationObject"/> (the graph's pass 1): the
/// reservation — predicted from the link inputs (<see cref="Objects"/>, <see cref="Libraries"/>,
/// <see cref="LinkerScript"/>), or exact for <see cref="Input"/>'s symbols (the relink after an overflow) — as its .S,
/// the object assembled from it with Cc, and the rooms file. Without: the table of <see cref="Input"/> (a linked
/// ELF or a System.map) as the .S scripts/kallsyms writes. Each file appears only once it is whole.
/// </summary>
public sealed class GenerateKallsyms : KallsymsTask
{
    /// <summary>A linked ELF (vmlinux, .tmp_vmlinux1) or a symbol map in System.map format: the exact table.</summary>
    public string? Input { get; set; }

    /// <summary>The link inputs and script the reservation is predicted from, when there is no Input.</summary>
    public ITaskItem[] Objects { get; set; } = [];
    public ITaskItem[] Libraries { get; set; } = [];
    public string? LinkerScript { get; set; }

    /// <summary>The .S to write.</summary>
    [Required] public string OutputAssembly { get; set; } = "";

    /// <summary>The reservation object assembled from the .S (the mode of the graph's pass 1).</summary>
    public string? ReservationObject { get; set; }

    /// <summary>Each array's room, for PatchKallsyms (with ReservationObject).</summary>
    public string? RoomsFile { get; set; }

    public int SlackPercent { get; set; }
    public int SlackMinBytes { get; set; }
    /// <summary>The linker and its flags: an LLVM bitcode object (an LTO kernel's) is predicted from what
    /// <c>$(Ld) $(LdFlags) -r</c> makes of it (beside ReservationObject), and ld.lld makes hidden symbols local.</summary>
    public string? Ld { get; set; }
    public string? LdFlags { get; set; }
    /// <summary>The final link's own flags (LDFLAGS_vmlinux): with ld.lld, -shared or --pack-dyn-relocs=relr make sections
    /// the linker script places (arm64's .rela.dyn, .relr.dyn), whose type letters the prediction needs.</summary>
    public string? LdFlagsVmlinux { get; set; }

    public string Cc { get; set; } = "gcc";
    public string? AFlags { get; set; }

    /// <summary>32 or 64 (the kernel's BITS_PER_LONG); for a map input only, an ELF input brings its own.</summary>
    public int Bits { get; set; } = 64;

    public bool BigEndian { get; set; }

    /// <summary>Bytes reserved for the whole table (with ReservationObject).</summary>
    [Output] public int ReservedBytes { get; private set; }

    protected override void Run()
    {
        if (Bits is not (32 or 64))
            throw new KbuildException(ErrorCodes.KallsymsOptionUnsupported, null,
                $"Bits must be 32 or 64 (the kernel's BITS_PER_LONG), not {Bits}.");
        var rules = Rules;
        var mapTarget = new KallsymsTarget(Bits == 64 ? ElfClass.Elf64 : ElfClass.Elf32, !BigEndian);
        if (ReservationObject is not { Length: > 0 })
        {
            if (Input is not { Length: > 0 })
                throw new KbuildException(ErrorCodes.KallsymsOptionUnsupported, null,
                    "GenerateKallsyms needs an Input (a linked ELF or a System.map), or a ReservationObject to reserve for the link inputs.");
            var table = TableOf(rules, Input, mapTarget);
            AtomicOutput.WriteAllText(OutputAssembly, KallsymsAssembly.ToText(table));
            Log.LogMessage(MessageImportance.Low, $"kallsyms: {table.Symbols.Count} symbols from {Input} -> {OutputAssembly}");
            return;
        }
        if (RoomsFile is not { Length: > 0 })
            throw new KbuildException(ErrorCodes.KallsymsOptionUnsupported, null, "GenerateKallsyms with a ReservationObject needs a RoomsFile.");
        var slack = new ReservationSlack(SlackPercent, SlackMinBytes);
        if (Input is { Length: > 0 })
        {
            var exact = Reservation.FromTable(TableOf(rules, Input, mapTarget), slack);
            KallsymsObjectAssembler.WriteReservation(exact, OutputAssembly, ReservationObject, RoomsFile, Cc, AFlags, Tools);
            ReservedBytes = exact.TotalReserved;
            Log.LogMessage(MessageImportance.Normal, exact.Describe());
            return;
        }
        var request = new KallsymsReserver.Request(Paths(Objects), Paths(Libraries), LinkerScript, rules, slack, Cc, AFlags,
            Path.GetDirectoryName(Path.GetFullPath(ReservationObject))!)
        { Linker = Ld, LinkerFlags = LdFlags, VmlinuxFlags = LdFlagsVmlinux, Tools = Tools, OnCacheIgnored = ReportIgnoredCache };
        // A relink whose inputs say what they said last time knows the key without predicting again.
        var unchanged = KallsymsReserver.Unchanged(request);
        if (unchanged is { } last && Keep(last.Key, last.Symbols)) return;
        var prediction = KallsymsReserver.Predict(request);
        if (unchanged == null && Keep(prediction.Key, prediction.Symbols.Count)) return;
        var reservation = KallsymsReserver.Create(prediction, rules, slack, request.NamesCache);
        KallsymsObjectAssembler.WriteReservation(reservation, OutputAssembly, ReservationObject, RoomsFile, Cc, AFlags, Tools,
            prediction.Machine, prediction.Key);
        ReservedBytes = reservation.TotalReserved;
        Log.LogMessage(MessageImportance.Normal, reservation.Describe());
    }

    /// <summary>Keeps the last reservation object when its key is <paramref name="key"/>.</summary>
    private bool Keep(string key, int symbols)
    {
        if (ReservationReuse.TryReuse(ReservationObject!, RoomsFile!, key, ReportIgnoredCache) is not { } rooms) return false;
        ReservedBytes = rooms.TotalReserved;
        Log.LogMessage(MessageImportance.Normal,
            $"kallsyms reservation: the predicted symbols are those of the last build ({symbols}); {ReservationObject} kept ({ReservedBytes} bytes)");
        return true;
    }

    private KallsymsTable TableOf(KallsymsRules rules, string input, KallsymsTarget mapTarget)
    {
        var table = rules.TableOf(input, mapTarget);
        foreach (var warning in table.Warnings) LogWarning(ErrorCodes.KallsymsNameTooLong, input, warning);
        return table;
    }

    private static List<string> Paths(ITaskItem[] items) => items.Select(i => i.ItemSpec).ToList();
}
