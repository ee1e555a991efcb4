using Kbuild.IO;
using Kbuild.Image;
using Kbuild.Inputs;
using Kbuild.Symbols;

namespace Kbuild.Table;

/// <summary>
/// Pass 1 of the single link: the reservation for the table the link will need, from the link inputs and the
/// linker script (<see cref="LinkPrediction.SystemMapSymbols"/>) before anything is linked.
/// </summary>
public static class PredictedReservation
{
    /// <param name="linker">The linker and its flags: an LLVM bitcode object (an LTO kernel's) is read through its native
    /// stand-in (<see cref="BitcodeStandIns"/>, written to <paramref name="standInDir"/>), and ld.lld makes hidden symbols local.</param>
    public static Reservation Create(IReadOnlyList<string> objects, IReadOnlyList<string> libraries, string? linkerScript,
        KallsymsRules rules, ReservationSlack slack, string? linker = null, string? linkerFlags = null, string? standInDir = null,
        ToolProcess? tools = null)
    {
        var inputs = standInDir != null ? BitcodeStandIns.Substitute(objects, linker, linkerFlags, standInDir, tools) : objects;
        var superset = LinkPrediction.SystemMapSymbols(inputs, libraries, linkerScript, rules.Layout, rules.Options, rules.Filter,
            linkerIsLld: linker is { Length: > 0 } && LldFlags.IsLld(linker));
        return Reservation.Create(superset, rules.Layout, rules.Options, TargetOf(inputs), slack);
    }

    /// <summary>The class and byte order of the first object linked (x86-64 when there is none).</summary>
    private static KallsymsTarget TargetOf(IReadOnlyList<string> objects)
    {
        var inputs = LinkInputs.Expand(objects);
        if (inputs.Count == 0) return KallsymsTarget.X86_64;
        using var first = inputs[0].Open();
        return new KallsymsTarget(first.Class, first.IsLittleEndian);
    }
}
