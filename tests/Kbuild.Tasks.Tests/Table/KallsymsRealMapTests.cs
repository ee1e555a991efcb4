using Kbuild.Kernel;
using Kbuild.Elf;
using Kbuild.Symbols;
using Kbuild.Table;

namespace Kbuild.Tests.Table;

/// <summary>The fixture kernels' own maps and the table objects their link-vmlinux.sh assembled.</summary>
[TestClass]
public sealed class KallsymsRealMapTests
{
    public TestContext TestContext { get; set; } = null!;

    private string WorkDir() => TestTemp.Directory($"kallsyms-real-{TestContext.TestName}-");

    public static IEnumerable<object[]> Fixtures =>
        from version in new[] { "6.1", "6.12" }
        from config in new[] { "A", "B" }
        from allSymbols in new[] { false, true }
        select new object[] { version, config, allSymbols };

    /// <summary>A: tinyconfig with KALLSYMS_ALL; B: SMP with ABSOLUTE_PERCPU and without KALLSYMS_ALL.</summary>
    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void SystemMapMatchesKernelTool(string version, string config, bool allSymbols)
    {
        var build = KernelFixtures.BuildDir(version, config);
        var options = FixtureKernel.KallsymsOptions(build) with { AllSymbols = allSymbols };
        KallsymsParityTests.AssertSameAsKernel(version, Path.Combine(build, "System.map"), options, WorkDir());
    }

    /// <summary>
    /// 6.1's --lto-clang (CONFIG_LTO_CLANG: names compared without their ".llvm.&lt;hash&gt;" suffix) on the symbols of a
    /// real ThinLTO kernel: there is no 6.1 ThinLTO fixture (one more LTO kernel build does not fit a cold CI run), so
    /// 6.1's own scripts/kallsyms --lto-clang reads the 6.12-L kernel's System.map, whose ThinLTO-promoted locals carry
    /// those suffixes, and our generator in the 6.1 layout must give the same bytes.
    /// </summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void LtoClang61MatchesKernelToolOnAThinLtoKernelsSymbols(bool allSymbols)
    {
        var map = Path.Combine(KernelFixtures.BuildDir("6.12", "L"), "System.map");
        var suffixed = File.ReadLines(map).Count(l => l.Contains(".llvm.", StringComparison.Ordinal));
        Assert.IsTrue(suffixed > 10, $"{map} has {suffixed} .llvm. names: not a ThinLTO kernel's map");
        var options = FixtureKernel.KallsymsOptions(KernelFixtures.BuildDir("6.12", "L")) with
        {
            AllSymbols = allSymbols, BaseRelative = true, LtoClang = true,
        };
        KallsymsParityTests.AssertSameAsKernel("6.1", map, options, WorkDir());
    }

    /// <summary>The last kallsyms step of the kernel's own build: same map in, same .rodata and relocations out.</summary>
    [TestMethod]
    [DataRow("6.1", "A", ".tmp_vmlinux.kallsyms2.syms", ".tmp_vmlinux.kallsyms2.o")]
    [DataRow("6.1", "B", ".tmp_vmlinux.kallsyms2.syms", ".tmp_vmlinux.kallsyms2.o")]
    [DataRow("6.12", "A", ".tmp_vmlinux2.syms", ".tmp_vmlinux2.kallsyms.o")]
    [DataRow("6.12", "B", ".tmp_vmlinux2.syms", ".tmp_vmlinux2.kallsyms.o")]
    public void MatchesTheTableObjectTheKernelBuilt(string version, string config, string map, string kernelObject)
    {
        var build = KernelFixtures.BuildDir(version, config);
        var dir = WorkDir();
        var table = KallsymsGenerator.Generate(SystemMap.Read(Path.Combine(build, map)), KernelSeries.For(version).Kallsyms,
            FixtureKernel.KallsymsOptions(build), KallsymsTarget.X86_64);
        var ours = KernelKallsymsTool.Assemble(KallsymsAssembly.ToText(table), ElfClass.Elf64, table.TextAddress, dir, "ours");
        var kernelObjectCopy = Path.Combine(dir, "kernel.o");
        File.Copy(Path.Combine(build, kernelObject), kernelObjectCopy);
        Tool.RunChecked("objcopy", ["-O", "binary", "--only-section=.rodata", kernelObjectCopy, kernelObjectCopy + ".rodata"]);
        CollectionAssert.AreEqual(File.ReadAllBytes(kernelObjectCopy + ".rodata"), ours.Rodata);
        var kernelRelocations = string.Join('\n', Tool.RunChecked("readelf", ["-rW", kernelObjectCopy]).Split('\n')
            .Where(l => !l.StartsWith("File:")));
        Assert.AreEqual(kernelRelocations, ours.Relocations);
    }
}
