using System.Security.Cryptography;
using Kbuild.IO;
using Kbuild.Inputs;
using Kbuild.Symbols;
using Kbuild.Kernel;

namespace Kbuild.Table;

/// <summary>
/// Pass 1 of the single link: the reservation for the table the link will need, from the link inputs and the
/// linker script (<see cref="LinkPrediction.SystemMapSymbols"/>) before anything is linked. Incrementally: the
/// inputs' symbols come from a cache under obj/ where unchanged (<see cref="InputSymbolCache"/>), and the
/// prediction carries the key of the reservation it makes, so a relink that predicts what the build before
/// predicted keeps that build's object (<see cref="ReservationReuse"/>); when the inputs' facts are those the last
/// prediction was made from, even the prediction is skipped (<see cref="Unchanged"/>).
/// </summary>
public static class KallsymsReserver
{
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

        internal CacheFile? SymbolCache => Cached(ObjCaches.Symbols);
        internal CacheFile? Memo => Cached(ObjCaches.PredictionMemo);
        internal string? StandInDirectory => CacheDirectory == null ? null : Path.Combine(CacheDirectory, ObjCaches.StandIns);
        internal CacheFile? NamesCache => Cached(ObjCaches.Names);

        private CacheFile? Cached(string name) => CacheDirectory == null ? null : new CacheFile(Path.Combine(CacheDirectory, name), OnCacheIgnored);
    }

    public static Prediction Predict(Request request)
    {
        var objects = ObjectsRead(request);
        var cache = InputSymbolCache.Load(request.SymbolCache);
        var superset = LinkPrediction.SystemMapSymbols(objects, request.Libraries, request.LinkerScript, request.Rules.ArraySymbolNames,
            request.Rules.Filter, cache,
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

    public static Reservation Create(Prediction prediction, KallsymsRules rules, ReservationSlack slack, CacheFile? namesCache = null) =>
        Reservation.Create(prediction.Symbols, rules.Layout, rules.Options, prediction.Target, slack, namesCache);

    /// <summary>The class, byte order and machine of the first object linked (x86-64 when there is none).</summary>
    private static (KallsymsTarget Target, ushort Machine) TargetOf(IReadOnlyList<string> objects, InputSymbolCache cache)
    {
        var inputs = LinkInputs.Expand(objects);
        if (inputs.Count == 0) return (KallsymsTarget.X86_64, 0);
        var first = cache.Get(inputs[0]);
        return (new KallsymsTarget(first.Class, first.IsLittleEndian), first.Machine);
    }
}
