using System.Diagnostics;
using Kbuild.Diagnostics;

namespace Kbuild.Bench;

/// <summary>Dispatches "kbuild-bench &lt;command&gt; args..." to one benchmark command.</summary>
public static class Program
{
    private static readonly Dictionary<string, (string Usage, Action<string[]> Run)> Commands = new()
    {
        ["sysmap"] = ("sysmap <elf> <out> <kernelVersion> [--repeat N]", SysmapCommand.Run),
        ["symbols"] = ("symbols <object-or-archive>... [--repeat N]", SymbolsCommand.Run),
        ["reserve"] = ("reserve <kernel-version> <linker-script> <out.o> <input>... [--all-symbols] [--repeat N]", ReserveCommand.Run),
        ["probe"] = ("probe <kernel-build-dir> <out-dir>", ProbeCommand.Run),
        ["kallsyms"] = ("kallsyms <elf> <out.S> <kernelVersion> [--all-symbols] [--absolute-percpu] [--base-relative] [--repeat N]",
            KallsymsCommand.Run),
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Commands.TryGetValue(args[0], out var command))
        {
            Console.Error.WriteLine("usage: Kbuild.Bench <command> ...\n" + string.Join("\n", Commands.Values.Select(c => "  " + c.Usage)));
            return 2;
        }
        try
        {
            command.Run(args[1..]);
            return 0;
        }
        catch (KbuildException e)
        {
            Console.Error.WriteLine(e.ToString());
            return 1;
        }
    }

    /// <summary>Runs <paramref name="body"/> <paramref name="repeat"/> times in process and prints each wall time (ms)
    /// on stderr, so scripts can separate in-process cost from process start-up.</summary>
    public static void TimeInProcess(int repeat, Action body)
    {
        for (int i = 0; i < repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            body();
            Console.Error.WriteLine($"in-process-ms {clock.Elapsed.TotalMilliseconds:F1}");
        }
    }

    /// <summary>The value after "--name" in args, or the default.</summary>
    public static int IntOption(string[] args, string name, int defaultValue)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1]) : defaultValue;
    }
}
