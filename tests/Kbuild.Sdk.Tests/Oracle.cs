using Kbuild.Elf;
using Kbuild.Symbols;
using Kbuild.Table;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>Checks a built vmlinux against the real tools: nm + the kernel's mksysmap, and the table it carries.</summary>
public static class Oracle
{
    /// <summary>System.map as the kernel makes it: nm -n vmlinux | sed -f scripts/mksysmap (6.12).</summary>
    public static string KernelSystemMap(string vmlinux)
    {
        var mksysmap = Path.Combine(KernelFixtures.SourceDir("6.12"), "scripts", "mksysmap");
        return Tool.RunChecked("sed", ["-f", mksysmap], stdin: Tool.RunChecked("nm", ["-n", vmlinux]));
    }

    /// <summary>
    /// The build's System.map equals the kernel's mksysmap output, and the kallsyms table in vmlinux decodes
    /// to exactly the System.map symbols kallsyms keeps (6.12 with --all-symbols: all but u/n and absolute).
    /// </summary>
    public static void AssertConsistent(SyntheticKernel kernel) => AssertConsistent(kernel.Vmlinux, kernel.SystemMap);

    public static void AssertConsistent(string vmlinux, string systemMap)
    {
        var expectedMap = KernelSystemMap(vmlinux);
        Assert.AreEqual(expectedMap, File.ReadAllText(systemMap), "System.map differs from nm -n | sed -f mksysmap");

        var kept = SystemMap.Parse(new StringReader(expectedMap), "System.map")
            .Where(s => s.Type is not ('u' or 'n' or 'a' or 'A'))
            .Select(Line).Order(StringComparer.Ordinal).ToList();
        List<string> decoded;
        using (var image = ElfImage.Open(vmlinux))
            decoded = KallsymsDecoder.Decode(image).Select(Line).Order(StringComparer.Ordinal).ToList();
        CollectionAssert.AreEqual(kept, decoded, "the kallsyms table does not list the System.map symbols");
    }

    private static string Line(NmSymbol s) => $"{s.Address:x16} {s.Type} {s.Name}";
}
