using System.Globalization;
using Kbuild.Symbols;

namespace Kbuild.Tests;

/// <summary>
/// Boots a kernel image in QEMU (eng/qemu/boot.sh: busybox initramfs, TCG) and returns the symbols the
/// running kernel reports in /proc/kallsyms — the ground truth for "the table we wrote is the table the
/// kernel uses".
/// </summary>
public static class QemuBoot
{
    /// <summary>/proc/kallsyms of <paramref name="kernelImage"/> (PVH vmlinux or bzImage), in kernel order.</summary>
    public static IReadOnlyList<NmSymbol> Kallsyms(string kernelImage, string extraCommandLine = "") =>
        Boot(kernelImage, extraCommandLine).Kallsyms;

    /// <summary>/proc/kallsyms, and the size of /sys/kernel/btf/vmlinux (null when the booted kernel has none).</summary>
    public static (IReadOnlyList<NmSymbol> Kallsyms, long? BtfSize) Boot(string kernelImage, string extraCommandLine = "")
    {
        var outFile = Path.Combine(Path.GetTempPath(), $"kbuild-kallsyms-{Guid.NewGuid():N}.txt");
        try
        {
            var r = Tool.Run(Path.Combine(RepoPaths.Root, "eng", "qemu", "boot.sh"), [kernelImage, outFile, extraCommandLine]);
            if (r.ExitCode != 0)
                Assert.Fail($"booting {kernelImage} in QEMU failed (exit {r.ExitCode}):\n{r.StdErr}{r.StdOut}");
            var btf = File.ReadLines(outFile + ".console").Select(l => l.TrimEnd('\r'))
                .FirstOrDefault(l => l.StartsWith("KBUILD-BTF-SIZE ", StringComparison.Ordinal));
            return (File.ReadLines(outFile).Select(Parse).ToList(), btf == null ? null : long.Parse(btf.Split(' ')[1], CultureInfo.InvariantCulture));
        }
        finally
        {
            File.Delete(outFile);
            File.Delete(outFile + ".console");
        }
    }

    // "ffffffff81000000 T _text" (module symbols would add "\t[name]"; a fixture kernel loads none).
    private static NmSymbol Parse(string line)
    {
        var f = line.Split(' ', 3);
        if (f.Length != 3 || f[1].Length != 1) throw new FormatException($"not a /proc/kallsyms line: '{line}'");
        return new NmSymbol(ulong.Parse(f[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), f[1][0], f[2]);
    }
}
