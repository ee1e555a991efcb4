using System.Security.Cryptography;
using Kbuild.IO;
using Kbuild.Inputs;
using Kbuild.Kernel;
using Kbuild.Symbols;

namespace Kbuild.Table;

/// <summary>
/// The reservation, pass 1 of the single link (target KbuildReserveKallsyms, task ReserveKallsyms): the room the link
/// reserves for the kallsyms table, as the kernel's own kallsyms object — its .S, the object assembled from it, and
/// each array's room (the rooms file the patch reads) — made before anything is linked. One feature behind one call
/// (<see cref="FromLinkInputs"/>, or <see cref="Exact"/> for the relink), with everything it keeps in obj/ for the next
/// build, named in <see cref="Files"/>. From the link inputs it decides in this order:
/// <list type="number">
/// <item>the inputs' facts are those the last prediction was made from (<see cref="PredictionMemo"/>): that prediction's
/// key, without predicting; the last object was made with that key and is intact (<see cref="ReservationReuse"/>): kept;</item>
/// <item>else predicted (<see cref="LinkPrediction.SystemMapSymbols"/>; the inputs' symbols through
/// <see cref="InputSymbolCache"/>, LLVM bitcode through <see cref="BitcodeStandIns"/>); the last object has the
/// prediction's key: kept;</item>
/// <item>else the table of the predicted symbols (<see cref="Reservation.Create"/>, the names through
/// <see cref="CompressedNames"/>' file, which the patch reads back), assembled (<see cref="KallsymsObjectAssembler"/>),
/// its key written last.</item>
/// </list>
/// </summary>
public static class KallsymsReserver
{
    /// <summary>
    /// What the reservation keeps in obj/ (beside its object) for the next build, by name. Sdk.targets' KbuildClean and
    /// KbuildLock name the same files (ReservationFilesTests holds them to these).
    /// </summary>
    public static class Files
    {
        /// <summary>Each input object's sections and symbols (<see cref="InputSymbolCache"/>).</summary>
        public const string InputSymbols = "kallsyms.symbols.cache";

        /// <summary>What the last prediction was made from (<see cref="Table.PredictionMemo"/>).</summary>
        public const string PredictionMemo = "kallsyms.prediction.memo";

        /// <summary>The token table and compressed names of the last table (<see cref="Table.CompressedNames"/>).</summary>
        public const string CompressedNames = "kallsyms.names.cache";

        /// <summary>A directory: the native stand-ins of LLVM bitcode link inputs (<see cref="Inputs.BitcodeStandIns"/>).</summary>
        public const string BitcodeStandIns = "lto-stand-ins";

        /// <summary>The files (not the directory), in the order above.</summary>
        public static IReadOnlyList<string> Caches { get; } = [InputSymbols, PredictionMemo, CompressedNames];

        /// <summary>The key of the reservation object (<see cref="ReservationReuse"/>): what it was made from, written last.</summary>
        public static string KeyOf(string reservationObject) => reservationObject + ".key";

        /// <summary><paramref name="name"/> in the directory of <paramref name="fileInObj"/> (obj/).</summary>
        public static string Beside(string fileInObj, string name) =>
            Path.Combine(Path.GetDirectoryName(Path.GetFullPath(fileInObj))!, name);
    }

    /// <summary>The names' compression of a build: kept in obj/ beside <paramref name="fileInObj"/> for the next table of the
    /// same names (the reservation writes it, the patch reads it).</summary>
    public static Func<byte[][], CompressedNames> CompressedNamesBeside(string fileInObj, Action<string>? onCacheIgnored = null) =>
        Table.CompressedNames.KeptIn(new CacheFile(Files.Beside(fileInObj, Files.CompressedNames), onCacheIgnored));

    /// <summary>The reservation's three files (its .S, the object the link takes, each array's room) and what makes them:
    /// the kernel's rules, the slack, the assembler. The caches go beside <paramref name="Object"/>.</summary>
    public sealed record Output(string Assembly, string Object, string Rooms, KallsymsRules Rules, ReservationSlack Slack, string Cc, string? AFlags)
    {
        public ToolProcess? Tools { get; init; }

        /// <summary>Told once for each damaged cache the build ignores (and writes again).</summary>
        public Action<string>? OnCacheIgnored { get; init; }
    }

    /// <summary>The link the reservation is predicted for: its objects (linked whole), the libraries searched as a group,
    /// the script, and the linker with its flags.</summary>
    public sealed record Link(IReadOnlyList<string> Objects, IReadOnlyList<string> Libraries, string? LinkerScript)
    {
        /// <summary>A bitcode object is read through what <c>$(Ld) $(LdFlags) -r</c> makes of it, and ld.lld makes hidden symbols local.</summary>
        public string? Linker { get; init; }
        public string? LinkerFlags { get; init; }
        /// <summary>The final link's own flags (LDFLAGS_vmlinux: -shared, --pack-dyn-relocs=relr).</summary>
        public string? VmlinuxFlags { get; init; }
    }

    /// <summary>What the step did: the bytes reserved, a line saying how (made or kept), and the table's warnings (names
    /// too long for kallsyms).</summary>
    public sealed record Outcome(int ReservedBytes, string Description, IReadOnlyList<string> Warnings);

    /// <summary>The reservation for <paramref name="link"/>: the last one kept when nothing it follows from changed, else
    /// predicted and made (the order above).</summary>
    public static Outcome FromLinkInputs(Output output, Link link)
    {
        var request = new Request(link.Objects, link.Libraries, link.LinkerScript, output.Rules, output.Slack, output.Cc, output.AFlags,
            Path.GetDirectoryName(Path.GetFullPath(output.Object))!)
        {
            Linker = link.Linker, LinkerFlags = link.LinkerFlags, VmlinuxFlags = link.VmlinuxFlags, Tools = output.Tools,
            OnCacheIgnored = output.OnCacheIgnored,
        };
        // A relink whose inputs say what they said last time knows the key without predicting again.
        var unchanged = Unchanged(request);
        if (unchanged is { } last && Kept(output, last.Key, last.Symbols) is { } keptUnchanged) return keptUnchanged;
        var prediction = Predict(request);
        if (unchanged == null && Kept(output, prediction.Key, prediction.Symbols.Count) is { } kept) return kept;
        var reservation = Create(prediction, output.Rules, output.Slack, request.CompressNames);
        KallsymsObjectAssembler.WriteReservation(reservation, output.Assembly, output.Object, output.Rooms, output.Cc, output.AFlags,
            output.Tools, prediction.Machine, prediction.Key);
        return new Outcome(reservation.TotalReserved, reservation.Describe(), []);
    }

    /// <summary>
    /// The reservation exact for the table of <paramref name="input"/> (the relink after an overflow: the linked image whose
    /// table outgrew its room; or any file read as a System.map for <paramref name="mapTarget"/>). Nothing is predicted or
    /// kept: its key vouches for the files, and no prediction's key is its.
    /// </summary>
    public static Outcome Exact(Output output, string input, KallsymsTarget mapTarget)
    {
        var table = output.Rules.TableOf(input, mapTarget);
        var exact = Reservation.FromTable(table, output.Slack);
        KallsymsObjectAssembler.WriteReservation(exact, output.Assembly, output.Object, output.Rooms, output.Cc, output.AFlags, output.Tools);
        return new Outcome(exact.TotalReserved, exact.Describe(), table.Warnings);
    }

    /// <summary>The last reservation when its key is <paramref name="key"/> (and its files are intact), else null.</summary>
    private static Outcome? Kept(Output output, string key, int symbols)
    {
        if (ReservationReuse.TryReuse(output.Object, output.Rooms, key, output.OnCacheIgnored) is not { } rooms) return null;
        return new Outcome(rooms.TotalReserved,
            $"kallsyms reservation: the predicted symbols are those of the last build ({symbols}); {output.Object} kept ({rooms.TotalReserved} bytes)", []);
    }

    /// <summary>The predicted symbols, what they are linked for (class, byte order, machine) and the reservation's key.</summary>
    public sealed record Prediction(IReadOnlyList<NmSymbol> Symbols, KallsymsTarget Target, ushort Machine, string Key);

    /// <summary>What a reservation is predicted from: the link (its objects, the libraries searched as a group, the
    /// script), the kernel's rules, the slack and the assembler that makes the object.</summary>
    /// <param name="CacheDirectory">obj/: where the inputs' symbols and the memo of the last prediction are kept, and an
    /// LLVM bitcode object's native stand-in is made (<see cref="BitcodeStandIns"/>); null: no caches.</param>
    public sealed record Request(IReadOnlyList<string> Objects, IReadOnlyList<string> Libraries, string? LinkerScript,
        KallsymsRules Rules, ReservationSlack Slack, string Cc, string? AFlags, string? CacheDirectory)
    {
        /// <summary>The linker and its flags: a bitcode object is read through what <c>$(Ld) $(LdFlags) -r</c> makes of
        /// it, and ld.lld makes hidden symbols local.</summary>
        public string? Linker { get; init; }
        public string? LinkerFlags { get; init; }
        /// <summary>The final link's own flags (LDFLAGS_vmlinux: -shared, --pack-dyn-relocs=relr), which decide what
        /// sections the linker makes itself.</summary>
        public string? VmlinuxFlags { get; init; }
        public ToolProcess? Tools { get; init; }

        /// <summary>Told once for each damaged cache the build ignores (and writes again).</summary>
        public Action<string>? OnCacheIgnored { get; init; }

        internal CacheFile? SymbolCache => Cached(Files.InputSymbols);
        internal CacheFile? Memo => Cached(Files.PredictionMemo);
        internal string? StandInDirectory => CacheDirectory == null ? null : Path.Combine(CacheDirectory, Files.BitcodeStandIns);
        internal Func<byte[][], CompressedNames>? CompressNames => Cached(Files.CompressedNames) is { } names ? Table.CompressedNames.KeptIn(names) : null;

        private CacheFile? Cached(string name) => CacheDirectory == null ? null : new CacheFile(Path.Combine(CacheDirectory, name), OnCacheIgnored);
    }

    public static Prediction Predict(Request request)
    {
        var objects = ObjectsRead(request);
        var cache = InputSymbolCache.Load(request.SymbolCache);
        var superset = LinkPrediction.SystemMapSymbols(objects, request.Libraries, request.LinkerScript, request.Rules.ArraySymbolNames,
            request.Rules.TextRangesOnly, request.Rules.Filter, cache,
            linkerIsLld: request.Linker is { Length: > 0 } && LldFlags.IsLld(request.Linker),
            linkerFlags: [.. ShellWords.CommandLine(request.LinkerFlags), .. ShellWords.CommandLine(request.VmlinuxFlags)]);
        var (target, machine) = TargetOf(objects, cache);
        cache.Save();
        var key = ReservationReuse.KeyOf(superset, request.Rules.Layout, request.Rules.Options, target, request.Slack, request.Cc, request.AFlags);
        if (request.Memo is { } memo)
        {
            var (inputs, objectCount) = Expanded(request.Objects, request.Libraries);
            PredictionMemo.Save(memo, Context(request, objectCount), inputs, cache.Get, key, superset.Count);
        }
        return new Prediction(superset, target, machine, key);
    }

    /// <summary>
    /// The key and symbol count of the last prediction when nothing it was made from changed (<see cref="PredictionMemo"/>:
    /// a relink after touching a source file, recompiled the same); else null. Reads only the objects whose files changed
    /// (an LLVM bitcode object as its bytes: no stand-in is made).
    /// </summary>
    public static (string Key, int Symbols)? Unchanged(Request request)
    {
        if (request.Memo is not { } memo || !File.Exists(memo.Path)) return null;
        var (inputs, objectCount) = Expanded(request.Objects, request.Libraries);
        string context;
        try { context = Context(request, objectCount); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }  // the prediction names the script
        return PredictionMemo.Unchanged(memo, context, inputs);
    }

    /// <summary>The objects as the prediction reads them: bitcode through its native stand-in.</summary>
    private static IReadOnlyList<string> ObjectsRead(Request request) =>
        request.StandInDirectory is { } standIns
            ? BitcodeStandIns.Substitute(request.Objects, request.Linker, request.LinkerFlags, standIns, request.Tools)
            : request.Objects;

    /// <summary>Every object the prediction reads, in link order, and how many of them are linked whole (the rest are searched).</summary>
    private static (List<LinkInputObject> Inputs, int Objects) Expanded(IReadOnlyList<string> objects, IReadOnlyList<string> libraries)
    {
        var linked = LinkInputs.Expand(objects);
        return ([.. linked, .. LinkInputs.Expand(libraries)], linked.Count);
    }

    /// <summary>Everything but the inputs' facts the prediction and its key follow from.</summary>
    private static string Context(Request request, int objectCount)
    {
        var script = request.LinkerScript is { Length: > 0 } path ? Convert.ToHexString(SHA256.HashData(RegularFile.ReadAllBytes(path))) : "";
        return string.Join('\n', typeof(KallsymsReserver).Assembly.ManifestModule.ModuleVersionId, request.Rules.Layout.Description,
            request.Rules.Series.Name, request.Rules.Options, request.Slack, request.Cc, request.AFlags, request.Linker,
            request.LinkerFlags, request.VmlinuxFlags, $"script {script}", $"objects {objectCount}");
    }

    public static Reservation Create(Prediction prediction, KallsymsRules rules, ReservationSlack slack,
        Func<byte[][], CompressedNames>? compressNames = null) =>
        Reservation.Create(prediction.Symbols, rules.Layout, rules.Options, prediction.Target, slack, compressNames);

    /// <summary>The class, byte order and machine of the first object linked (x86-64 when there is none).</summary>
    private static (KallsymsTarget Target, ushort Machine) TargetOf(IReadOnlyList<string> objects, InputSymbolCache cache)
    {
        var inputs = LinkInputs.Expand(objects);
        if (inputs.Count == 0) return (KallsymsTarget.X86_64, 0);
        var first = cache.Get(inputs[0]);
        return (new KallsymsTarget(first.Class, first.IsLittleEndian), first.Machine);
    }
}
