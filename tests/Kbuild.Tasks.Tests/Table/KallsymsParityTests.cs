using Kbuild.Kernel;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Symbols;
using Kbuild.Table;

namespace Kbuild.Tests.Table;

/// <summary>
/// Our generator against the kernel's scripts/kallsyms (6.1, 6.12, 7.2, 7.3) on the same map: the assembled
/// .rodata bytes, symbols and relocations of both .S files must be identical, and our in-memory arrays must equal
/// the linked bytes.
/// </summary>
[TestClass]
public sealed class KallsymsParityTests
{
    public TestContext TestContext { get; set; } = null!;

    private string WorkDir()
    {
        var dir = TestTemp.Directory($"kallsyms-parity-{TestContext.TestName}-");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs both tools on the map and compares everything; returns our table.</summary>
    /// <param name="unreliableArray">An array the kernel's tool computes with undefined behaviour on this input; left out of the comparison.</param>
    internal static KallsymsTable AssertSameAsKernel(string version, string mapPath, KallsymsOptions options, string workDir,
        ElfClass elfClass = ElfClass.Elf64, string? unreliableArray = null)
    {
        var kernel = KernelKallsymsTool.Run(version, KernelKallsymsTool.Flags(version, options), mapPath);
        Assert.AreEqual(0, kernel.ExitCode, $"kernel kallsyms failed: {kernel.StdErr}");
        var layout = KernelSeries.For(version).Kallsyms;
        var table = KallsymsGenerator.Generate(SystemMap.Read(mapPath), layout, options, new KallsymsTarget(elfClass, true), mapPath);

        var expected = KernelKallsymsTool.Assemble(kernel.StdOut, elfClass, table.TextAddress, workDir, "kernel");
        var actual = KernelKallsymsTool.Assemble(KallsymsAssembly.ToText(table), elfClass, table.TextAddress, workDir, "ours");
        var ours = table.ToSectionBytes(out var offsets, expected.LinkedAddress);
        if (unreliableArray != null)
            foreach (var blob in new[] { expected.Rodata, actual.Rodata, expected.LinkedRodata, ours })
                blob.AsSpan(offsets[unreliableArray], table.Find(unreliableArray)!.Size).Clear();
        AssertBytes(expected.Rodata, actual.Rodata, "assembled .rodata");
        Assert.AreEqual(expected.Relocations, actual.Relocations, "relocations");
        Assert.AreEqual(expected.Symbols, actual.Symbols, "symbols (labels, sizes)");
        AssertBytes(expected.LinkedRodata, ours, "linked .rodata vs in-memory arrays");
        var kernelWarnings = kernel.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("Symbol "));
        Assert.AreEqual(kernelWarnings, table.Warnings.Count, "over-long name warnings");
        return table;
    }

    private static void AssertBytes(byte[] expected, byte[] actual, string what)
    {
        if (expected.AsSpan().SequenceEqual(actual)) return;
        var first = 0;
        while (first < Math.Min(expected.Length, actual.Length) && expected[first] == actual[first]) first++;
        Assert.Fail($"{what}: lengths {expected.Length} vs {actual.Length}, first difference at offset {first}");
    }

    public static IEnumerable<object[]> Options61 =>
        from all in new[] { false, true }
        from percpu in new[] { false, true }
        from relative in new[] { false, true }
        select new object[] { all, percpu, relative };

    [TestMethod]
    [DynamicData(nameof(Options61))]
    public void Linux61MatchesKernelTool(bool all, bool percpu, bool relative)
    {
        var dir = WorkDir();
        var map = SyntheticMap.Kernel(seed: 61, functions: 3000, percpu: percpu).Write(dir);
        AssertSameAsKernel("6.1", map, new KallsymsOptions { AllSymbols = all, AbsolutePercpu = percpu, BaseRelative = relative }, dir);
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(true, false)]
    [DataRow(false, true)]
    [DataRow(true, true)]
    public void Linux612MatchesKernelTool(bool all, bool percpu)
    {
        var dir = WorkDir();
        var map = SyntheticMap.Kernel(seed: 612, functions: 3000, percpu: percpu).Write(dir);
        AssertSameAsKernel("6.12", map, new KallsymsOptions { AllSymbols = all, AbsolutePercpu = percpu }, dir);
    }

    /// <summary>7.x: PC-relative offsets (one relocation per symbol against _text), every label ".balign 4", 7.3's sizes.</summary>
    [TestMethod]
    [DataRow("7.2", false)]
    [DataRow("7.2", true)]
    [DataRow("7.3", false)]
    [DataRow("7.3", true)]
    public void Linux7MatchesKernelTool(string version, bool all)
    {
        var dir = WorkDir();
        var map = SyntheticMap.Kernel(seed: 73, functions: 3000, percpu: true).Write(dir);
        var table = AssertSameAsKernel(version, map, new KallsymsOptions { AllSymbols = all, PcRelative = true }, dir);
        Assert.IsNull(table.Find("kallsyms_relative_base"));
    }

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    [DataRow("7.3")]
    public void LongNamesUpTo511AndOverLongOnesLeftOut(string version)
    {
        var dir = WorkDir();
        var map = SyntheticMap.Kernel(seed: 7, functions: 400, longNames: 80).Write(dir);
        // 6.1's compare_names expands a 511-byte name plus its type letter and NUL into a 512-byte stack
        // buffer: the kernel tool's seqs_of_names is then undefined (it repeats indices). Ours stays a
        // name-sorted permutation, checked below; 6.12 compares the names in place and is exact.
        var unreliable = version == "6.1" ? "kallsyms_seqs_of_names" : null;
        var table = AssertSameAsKernel(version, map,
            new KallsymsOptions { AllSymbols = true, BaseRelative = true, PcRelative = true }, dir, unreliableArray: unreliable);
        Assert.IsTrue(table.Symbols.Any(s => s.Name.Length == 511), "a 511-byte name is kept");
        var seqs = table[KallsymsArrayKind.SeqsOfNames].Bytes.Chunk(3).Select(b => b[0] << 16 | b[1] << 8 | b[2]).ToArray();
        CollectionAssert.AreEquivalent(Enumerable.Range(0, table.Symbols.Count).ToArray(), seqs);
        var sortedNames = seqs.Select(i => table.Symbols[i].Name).ToArray();
        CollectionAssert.AreEqual(sortedNames.Order(StringComparer.Ordinal).ToArray(), sortedNames);
        // scripts/kallsyms' read_symbol warns for each name of KSYM_NAME_LEN (512) bytes or more.
        Assert.AreEqual(SystemMap.Read(map).Count(s => s.Name.Length >= 512), table.Warnings.Count, "names of 512+ bytes are reported");
    }

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    [DataRow("7.3")]
    public void MoreThan65536Symbols(string version)
    {
        var dir = WorkDir();
        var map = SyntheticMap.Kernel(seed: 65, functions: 70000).Write(dir);
        var table = AssertSameAsKernel(version, map, new KallsymsOptions { AllSymbols = true, BaseRelative = true, PcRelative = true }, dir);
        Assert.IsTrue(table.Symbols.Count > 65536);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void LtoClangNameCleanup61(bool all)
    {
        var dir = WorkDir();
        var map = SyntheticMap.Kernel(seed: 11, functions: 2000, llvm: true).Write(dir);
        AssertSameAsKernel("6.1", map, new KallsymsOptions { AllSymbols = all, BaseRelative = true, LtoClang = true }, dir);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ThirtyTwoBitTarget61(bool relative)
    {
        var dir = WorkDir();
        var map = SyntheticMap.Kernel(seed: 32, functions: 1500, text: 0xc1000000).Write(dir);
        AssertSameAsKernel("6.1", map, new KallsymsOptions { AllSymbols = true, BaseRelative = relative }, dir, ElfClass.Elf32);
    }

    [TestMethod]
    public void EmptyMap612MatchesStepZero()
    {
        var dir = WorkDir();
        var map = Path.Combine(dir, "empty.map");
        File.WriteAllText(map, "");
        AssertSameAsKernel("6.12", map, new KallsymsOptions { AllSymbols = true }, dir);
    }

    [TestMethod]
    public void EmptyTable61IsAnErrorLikeTheKernel()
    {
        var dir = WorkDir();
        var map = new SyntheticMap(1).Add(0x1000, 'd', "data_only").Write(dir);
        Assert.AreNotEqual(0, KernelKallsymsTool.Run("6.1", [], map).ExitCode);
        var e = Assert.ThrowsExactly<KbuildException>(() =>
            KallsymsGenerator.Generate(SystemMap.Read(map), KernelSeries.For("6.1").Kallsyms, new KallsymsOptions(), KallsymsTarget.X86_64, map));
        Assert.AreEqual(ErrorCodes.KallsymsNoValidSymbol, e.Code);
    }

    [TestMethod]
    [DataRow("6.1", false)]
    [DataRow("6.12", false)]
    [DataRow("6.12", true)]
    public void RelativeOverflowIsAnErrorLikeTheKernel(string version, bool percpu)
    {
        var dir = WorkDir();
        var map = new SyntheticMap(1).Add(0x1000, 'T', "_stext").Add(0x1000, 'T', "low")
            .Add(0x1_0000_2000, 'T', "far_away").Add(0x1_0000_2000, 'T', "_etext").Write(dir);
        var options = new KallsymsOptions { BaseRelative = true, AbsolutePercpu = percpu };
        var kernel = KernelKallsymsTool.Run(version, KernelKallsymsTool.Flags(version, options), map);
        Assert.AreNotEqual(0, kernel.ExitCode);
        StringAssert.Contains(kernel.StdErr, "out of range in relative mode");
        var e = Assert.ThrowsExactly<KbuildException>(() =>
            KallsymsGenerator.Generate(SystemMap.Read(map), KernelSeries.For(version).Kallsyms, options, KallsymsTarget.X86_64, map));
        Assert.AreEqual(ErrorCodes.KallsymsRelativeOverflow, e.Code);
        StringAssert.Contains(e.Message, "100002000");
    }
}
