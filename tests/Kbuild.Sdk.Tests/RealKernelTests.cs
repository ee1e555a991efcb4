using Kbuild.Elf;
using Kbuild.Symbols;
using Kbuild.Table;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>The final link of a real kernel (fixture 6.1-A, built by the kernel's make) done by the SDK in one pass.</summary>
[TestClass]
[DoNotParallelize]
public sealed class RealKernelTests
{
    [TestMethod]
    public void Kernel61_OneLinkGivesTheKernelsSymbolsAndTable()
    {
        var build = KernelFixtures.BuildDir("6.1", "A");
        var dir = Directory.CreateTempSubdirectory("kbuild-real-").FullName;
        try
        {
            // The link values the kernel's make used, from .vmlinux.cmd and .vmlinux.o.cmd.
            var cmd = File.ReadLines(Path.Combine(build, ".vmlinux.cmd")).First().Split('"');
            var libraries = File.ReadLines(Path.Combine(build, ".vmlinux.o.cmd")).First()
                .Split("--start-group")[1].Split("--end-group")[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var project = Path.Combine(dir, "kernel.kproj");
            KernelProject.Write(project,
                [
                    ("KernelVersion", "6.1"), ("VmlinuxLinkerScript", $"{build}/arch/x86/kernel/vmlinux.lds"),
                    ("Ld", cmd[1]), ("LdFlags", cmd[3]), ("LdFlagsVmlinux", cmd[5]), ("KallsymsAllSymbols", "true"),
                ],
                body: $"""
                    <ItemGroup>
                      <VmlinuxObject Include="{build}/vmlinux.a;{build}/init/version-timestamp.o" />
                      {string.Concat(libraries.Select(l => $"<VmlinuxLibrary Include=\"{build}/{l}\" />"))}
                    </ItemGroup>
                    """);
            Assert.IsTrue(File.ReadAllText(Path.Combine(build, "include", "config", "auto.conf")).Contains("CONFIG_KALLSYMS_ALL=y\n"));

            var outcome = BuildRunner.Build(project);

            Assert.IsTrue(outcome.Succeeded, outcome.ToString());
            Assert.AreEqual(1, outcome.ExecutedTasks.Count(t => t == "LinkVmlinux"), "one link, no relink");
            var vmlinux = Path.Combine(dir, "out", "vmlinux");
            var systemMap = Path.Combine(dir, "out", "System.map");

            // System.map is the kernel's mksysmap of our vmlinux, and lists the kernel's symbols and types.
            var mksysmap = Path.Combine(KernelFixtures.SourceDir("6.1"), "scripts", "mksysmap");
            Tool.RunChecked("sh", [mksysmap, vmlinux, Path.Combine(dir, "System.map.oracle")], environment: new Dictionary<string, string> { ["NM"] = "nm" });
            Assert.AreEqual(File.ReadAllText(Path.Combine(dir, "System.map.oracle")), File.ReadAllText(systemMap));
            CollectionAssert.AreEqual(TypesAndNames(File.ReadAllLines(Path.Combine(build, "System.map"))),
                TypesAndNames(File.ReadAllLines(systemMap)));

            // The patched table holds what the kernel's own table holds (names, types, order), at our addresses.
            var ours = Decode(vmlinux);
            var kernels = Decode(Path.Combine(build, "vmlinux"));
            CollectionAssert.AreEqual(kernels.Select(s => $"{s.Type} {s.Name}").ToList(), ours.Select(s => $"{s.Type} {s.Name}").ToList());
            var mapEntries = SystemMap.Read(systemMap).ToHashSet();
            var notInMap = ours.Where(e => !mapEntries.Contains(e)).Take(5).ToList();
            Assert.AreEqual(0, notInMap.Count, "table entries not in System.map: " + string.Join(", ", notInMap));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<string> TypesAndNames(IEnumerable<string> lines) =>
        lines.Select(l => l[17..]).Order(StringComparer.Ordinal).ToList();

    private static IReadOnlyList<NmSymbol> Decode(string vmlinux)
    {
        using var image = ElfImage.Open(vmlinux);
        return KallsymsDecoder.Decode(image);
    }
}
