using System.Diagnostics;
using Kbuild.Archives;
using Kbuild.Kallsyms;
using Kbuild.Linking;

namespace Kbuild.Bench;

/// <summary>
/// reserve &lt;kernel-version&gt; &lt;linker-script&gt; &lt;out.o&gt; &lt;input&gt;... [--all-symbols] [--repeat N]: the
/// ReserveKallsyms task's steps one by one, each timed (ms, on stderr): read the inputs' symbols, superset,
/// table generation (with compression), assembler text, <c>gcc -c</c>.
/// </summary>
public static class ReserveCommand
{
    public static void Run(string[] args)
    {
        int repeat = Program.IntOption(args, "--repeat", 1);
        var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[i - 1] != "--repeat")).ToList();
        var (version, script, output, inputs) = (positional[0], positional[1], positional[2], positional[3..]);
        var options = new KallsymsOptions { AllSymbols = args.Contains("--all-symbols"), BaseRelative = true };
        for (int i = 0; i < repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            double Lap() { var ms = clock.Elapsed.TotalMilliseconds; clock.Restart(); return ms; }
            var symbols = LinkInputs.ReadSymbols(inputs);
            var read = Lap();
            var superset = Reservation.Superset(symbols, LinkerScriptNames.Read(script), SysmapFilter.ForKernel(version));
            var super = Lap();
            var reservation = Reservation.Create(superset, KallsymsLayout.For(version), options, KallsymsTarget.X86_64, new ReservationSlack(2, 64));
            var generate = Lap();
            var source = Path.ChangeExtension(output, ".S");
            File.WriteAllText(source, reservation.ToAssembly());
            var text = Lap();
            KallsymsObjectAssembler.Assemble("gcc", "", source, output);
            var assemble = Lap();
            Console.Error.WriteLine($"symbols {superset.Count}: read {read:F0} ms, superset {super:F0} ms, generate {generate:F0} ms, " +
                $"assembler text {text:F0} ms, gcc -c {assemble:F0} ms");
        }
    }
}
