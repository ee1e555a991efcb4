using Kbuild.Outputs;
using Kbuild.Symbols;

namespace Kbuild.Bench;

/// <summary>sysmap &lt;elf&gt; &lt;out&gt; &lt;kernelVersion&gt;: what the WriteSystemMap task does.</summary>
public static class SysmapCommand
{
    public static void Run(string[] args)
    {
        if (args.Length < 3) throw new ArgumentException("sysmap <elf> <out> <kernelVersion> [--repeat N]");
        var filter = SystemMapFilter.ForKernel(args[2]);
        Program.TimeInProcess(Program.IntOption(args, "--repeat", 1), () => SystemMapWriter.Write(args[0], args[1], filter));
    }
}
