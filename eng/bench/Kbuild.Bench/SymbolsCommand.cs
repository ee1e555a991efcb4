using Kbuild.Inputs;

namespace Kbuild.Bench;

/// <summary>symbols &lt;input&gt;...: reads the nm symbols of every object behind link inputs (the reservation's first step).</summary>
public static class SymbolsCommand
{
    public static void Run(string[] args)
    {
        int repeatAt = Array.IndexOf(args, "--repeat");
        var inputs = repeatAt < 0 ? args : [.. args[..repeatAt], .. args[(repeatAt + 2)..]];
        Program.TimeInProcess(Program.IntOption(args, "--repeat", 1), () =>
        {
            var objects = LinkInputs.ReadSymbols(inputs);
            Console.Error.WriteLine($"objects {objects.Count} symbols {objects.Sum(o => o.Symbols.Count)}");
        });
    }
}
