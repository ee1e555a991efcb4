using Kbuild.IO;
using Kbuild.Image;
using Kbuild.Inputs;
using Kbuild.Symbols;

namespace Kbuild.Table;

/// <summary>
/// Pass 1 of the single link: the reservation for the table the link will need, from the link inputs and the
/// linker script (<see cref="LinkPrediction.SystemMapSymbols"/>) before anything is linked. Incrementally: the
/// inputs' symbols come from a cache under obj/ where unchanged (<see cref="InputSymbolCache"/>), and the
/// prediction carries the key of the reservation it makes, so a relink that predicts what the build before
/// predicted keeps that build's object (<see cref="ReservationReuse"/>).
/// </summary>
public static class PredictedReservation
{
    /// <summary>The predicted symbols, what they are linked for (class, byte order, machine) and the reservation's key.</summary>
    public sealed record Prediction(IReadOnlyList<NmSymbol> Symbols, KallsymsTarget Target, ushort Machine, string Key);

    /// <param name="symbolCache">The inputs' symbols from the last prediction (null: read every object).</param>
    /// <param name="linker">The linker and its flags: an LLVM bitcode object (an LTO kernel's) is read through its native
    /// stand-in (<see cref="BitcodeStandIns"/>, written to <paramref name="standInDir"/>), and ld.lld makes hidden symbols local.</param>
    /// <param name="vmlinuxFlags">The final link's own flags (LDFLAGS_vmlinux: -shared, --pack-dyn-relocs=relr), which
    /// decide what sections ld.lld makes itself.</param>
    public static Prediction Predict(IReadOnlyList<string> objects, IReadOnlyList<string> libraries, string? linkerScript,
        KallsymsRules rules, ReservationSlack slack, string cc, string? aflags, string? symbolCache,
        string? linker = null, string? linkerFlags = null, string? standInDir = null, ToolProcess? tools = null,
        string? vmlinuxFlags = null)
    {
        var inputs = standInDir != null ? BitcodeStandIns.Substitute(objects, linker, linkerFlags, standInDir, tools) : objects;
        var superset = LinkPrediction.SystemMapSymbols(inputs, libraries, linkerScript, rules.Layout, rules.Options, rules.Filter,
            symbolCache, linkerIsLld: linker is { Length: > 0 } && LldFlags.IsLld(linker),
            linkerFlags: [.. LinkerCommand.SplitFlags(linkerFlags), .. LinkerCommand.SplitFlags(vmlinuxFlags)]);
        var (target, machine) = TargetOf(inputs);
        return new Prediction(superset, target, machine, ReservationReuse.KeyOf(superset, rules.Layout, rules.Options, target, slack, cc, aflags));
    }

    public static Reservation Create(Prediction prediction, KallsymsRules rules, ReservationSlack slack, string? namesCache = null) =>
        Reservation.Create(prediction.Symbols, rules.Layout, rules.Options, prediction.Target, slack, namesCache);

    /// <summary>The class, byte order and machine of the first object linked (x86-64 when there is none).</summary>
    private static (KallsymsTarget Target, ushort Machine) TargetOf(IReadOnlyList<string> objects)
    {
        var inputs = LinkInputs.Expand(objects);
        if (inputs.Count == 0) return (KallsymsTarget.X86_64, 0);
        using var first = inputs[0].Open();
        return (new KallsymsTarget(first.Class, first.IsLittleEndian), first.Machine);
    }
}
