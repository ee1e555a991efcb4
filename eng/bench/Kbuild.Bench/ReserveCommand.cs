using System.Diagnostics;
using Kbuild.Symbols;
using Kbuild.Table;

namespace Kbuild.Bench;

/// <summary>
/// reserve &lt;kernel-version&gt; &lt;linker-script&gt; &lt;out.o&gt; &lt;object&gt;... [--group &lt;library&gt;...] [--all-symbols] [--repeat N]:
/// the GenerateKallsyms task's reservation steps one by one, each timed (ms, on stderr): the link's prediction (objects linked
/// whole, the libraries after --group searched as a group), table generation (with compression), assembler text, <c>gcc -c</c>.
/// With --symbol-cache FILE the prediction keeps the inputs' symbols there (the first run fills it, the next ones
/// read it), and the reservation key (what a relink compares to keep the previous object) is timed too.
/// </summary>
public static class ReserveCommand
{
    public static void Run(string[] args)
    {
        int repeat = Program.IntOption(args, "--repeat", 1);
        var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[i - 1] is not ("--repeat" or "--symbol-cache"))).ToList();
        var symbolCache = Array.IndexOf(args, "--symbol-cache") is var at and >= 0 ? args[at + 1] : null;
        var (version, script, output) = (positional[0], positional[1], positional[2]);
        var group = args.Contains("--group") ? args[(Array.IndexOf(args, "--group") + 1)..].TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList() : [];
        var objects = positional[3..].Except(group).ToList();
        var rules = KallsymsRules.For(version, new KallsymsOptions { AllSymbols = args.Contains("--all-symbols"), BaseRelative = true });
        for (int i = 0; i < repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            double Lap() { var ms = clock.Elapsed.TotalMilliseconds; clock.Restart(); return ms; }
            var superset = LinkPrediction.SystemMapSymbols(objects, group, script, rules.ArraySymbolNames, rules.TextRangesOnly, rules.Filter, symbolCache);
            var predict = Lap();
            ReservationReuse.KeyOf(superset, rules.Layout, rules.Options, KallsymsTarget.X86_64, ReservationSlack.None, "gcc", "");
            var key = Lap();
            var reservation = Reservation.Create(superset, rules.Layout, rules.Options, KallsymsTarget.X86_64, ReservationSlack.None);
            var generate = Lap();
            var source = Path.ChangeExtension(output, ".S");
            File.WriteAllText(source, reservation.ToAssembly());
            var text = Lap();
            KallsymsObjectAssembler.Assemble("gcc", "", source, output);
            var assemble = Lap();
            Console.Error.WriteLine($"symbols {superset.Count}: prediction {predict:F0} ms, key {key:F0} ms, generate {generate:F0} ms, " +
                $"assembler text {text:F0} ms, gcc -c {assemble:F0} ms");
        }
    }
}
