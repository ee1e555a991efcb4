using Kbuild.Inputs;
using Kbuild.Symbols;

namespace Kbuild.Bench;

/// <summary>symbols &lt;input&gt;...: reads every object behind link inputs as the reservation does (the prediction's reader,
/// with an empty script, so the reading is nearly all of the time).</summary>
public static class SymbolsCommand
{
    public static void Run(string[] args)
    {
        int repeatAt = Array.IndexOf(args, "--repeat");
        var inputs = repeatAt < 0 ? args : [.. args[..repeatAt], .. args[(repeatAt + 2)..]];
        Program.TimeInProcess(Program.IntOption(args, "--repeat", 1), () =>
        {
            var (symbols, _) = LinkPrediction.Predict(inputs, [], LinkerScriptLayout.Parse(""), [], []);
            Console.Error.WriteLine($"objects {LinkInputs.Expand(inputs).Count} predicted symbols {symbols.Count}");
        });
    }
}
