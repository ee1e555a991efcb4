using System.Text.RegularExpressions;
using Kbuild.Symbols;

namespace Kbuild.Tests.KernelTree;

/// <summary>
/// The boot check itself, on kernels linked by the kernel's own make: what a booted kernel lists in
/// /proc/kallsyms is its System.map minus the symbols scripts/kallsyms leaves out. Later tests rely on
/// this to judge vmlinux images we link.
/// </summary>
[TestClass]
public sealed class QemuBootTests
{
    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void BootedKallsymsIsSystemMapWithoutIgnoredSymbols(string version)
    {
        var build = KernelFixtures.BuildDir(version, "A");
        var booted = QemuBoot.Kallsyms(Path.Combine(build, "vmlinux"));

        // Absolute symbols are never in the table; 6.1 also drops the names of scripts/kallsyms.c's
        // ignored_symbols[] (the table's own kallsyms_* labels), where 6.12 has no such list and keeps them.
        var ignored = IgnoredSymbols(version);
        var expected = ReadSystemMap(Path.Combine(build, "System.map"))
            .Where(s => s.Type is not ('A' or 'a'))
            .Where(s => !ignored.Contains(s.Name))
            .ToList();
        // Same set; the kernel orders equal addresses its own way (scripts/kallsyms sort), nm by name.
        CollectionAssert.AreEquivalent(expected, booted.ToList());
    }

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void KaslrBzImageReportsSystemMapShiftedByOneOffset(string version)
    {
        var build = KernelFixtures.BuildDir(version, "B");
        var booted = QemuBoot.Kallsyms(Path.Combine(build, "arch", "x86", "boot", "bzImage"));
        var map = ReadSystemMap(Path.Combine(build, "System.map")).ToHashSet();

        var delta = booted.Single(s => s.Name == "_text").Address - map.Single(s => s.Name == "_text").Address;
        Assert.AreNotEqual(0UL, delta, "KASLR should have moved the kernel");
        Assert.AreEqual(0UL, delta % 0x200000, "KASLR moves by whole 2 MiB pages");
        // Per-cpu symbols (absolute-percpu) keep their offsets; everything else moved by delta.
        var strays = booted.Where(s => !map.Contains(s with { Address = s.Address - delta }) && !map.Contains(s)).ToList();
        Assert.IsEmpty(strays, string.Join('\n', strays.Take(10)));
    }

    /// <summary>The names in the kernel's own scripts/kallsyms.c ignored_symbols[] (none when it has no such list).</summary>
    private static HashSet<string> IgnoredSymbols(string version)
    {
        var source = File.ReadAllText(Path.Combine(KernelFixtures.SourceDir(version), "scripts", "kallsyms.c"));
        var list = Regex.Match(source, @"ignored_symbols\[\]\s*=\s*\{(?<body>.*?)\};", RegexOptions.Singleline);
        return list.Success
            ? Regex.Matches(Regex.Replace(list.Groups["body"].Value, @"/\*.*?\*/", "", RegexOptions.Singleline), "\"([^\"]+)\"")
                .Select(m => m.Groups[1].Value).ToHashSet()
            : [];
    }

    private static List<NmSymbol> ReadSystemMap(string path) =>
        File.ReadLines(path).Select(line => line.Split(' '))
            .Select(f => new NmSymbol(Convert.ToUInt64(f[0], 16), f[1][0], f[2])).ToList();
}
