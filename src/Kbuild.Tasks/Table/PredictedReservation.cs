using Kbuild.Inputs;
using Kbuild.Symbols;

namespace Kbuild.Table;

/// <summary>
/// Pass 1 of the single link: the reservation for the table the link will need, from the link inputs and the
/// linker script (<see cref="LinkPrediction.SystemMapSymbols"/>) before anything is linked.
/// </summary>
public static class PredictedReservation
{
    public static Reservation Create(IReadOnlyList<string> objects, IReadOnlyList<string> libraries, string? linkerScript,
        KallsymsRules rules, ReservationSlack slack)
    {
        var superset = LinkPrediction.SystemMapSymbols(objects, libraries, linkerScript, rules.Layout, rules.Options, rules.Filter);
        return Reservation.Create(superset, rules.Layout, rules.Options, TargetOf(objects), slack);
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
