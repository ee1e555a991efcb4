using Kbuild.Elf;
using Kbuild.Table;

namespace Kbuild.Bench;

/// <summary>
/// kallsyms &lt;elf&gt; &lt;out.S&gt; &lt;kernelVersion&gt; [--all-symbols] [--absolute-percpu] [--base-relative]:
/// symbol read (mksysmap view) → kallsyms arrays in memory, timed; the .S is written once afterwards
/// (untimed) so the script can check it assembles to the kernel tool's bytes.
/// </summary>
public static class KallsymsCommand
{
    public static void Run(string[] args)
    {
        if (args.Length < 3)
            throw new ArgumentException("kallsyms <elf> <out.S> <kernelVersion> [--all-symbols] [--absolute-percpu] [--base-relative] [--repeat N]");
        var rules = KallsymsRules.For(args[2], new KallsymsOptions
        {
            AllSymbols = args.Contains("--all-symbols"),
            AbsolutePercpu = args.Contains("--absolute-percpu"),
            BaseRelative = args.Contains("--base-relative"),
        });
        KallsymsTable? table = null;
        Program.TimeInProcess(Program.IntOption(args, "--repeat", 1), () =>
        {
            using var image = ElfImage.Open(args[0]);
            table = rules.TableOf(image);
        });
        File.WriteAllText(args[1], KallsymsAssembly.ToText(table!));
    }
}
