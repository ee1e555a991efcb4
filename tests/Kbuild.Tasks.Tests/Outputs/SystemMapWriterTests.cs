using Kbuild.Inputs;
using Kbuild.Diagnostics;
using Kbuild.Tasks;

namespace Kbuild.Tests.Outputs;

/// <summary>System.map from WriteSystemMap against the kernel's own scripts/mksysmap run on the same ELF.</summary>
[TestClass]
public sealed class SystemMapWriterTests
{
    /// <summary>The kernel's mksysmap of that series on <paramref name="elf"/>, run as link-vmlinux.sh runs it.</summary>
    private static string KernelMksysmap(string series, string elf, string workDir)
    {
        var script = Path.Combine(KernelFixtures.SourceDir(series), "scripts", "mksysmap");
        var output = Path.Combine(workDir, $"kernel-System.map-{series}");
        if (series == "6.1")
            Tool.RunChecked("sh", [script, elf, output], workDir, environment: new Dictionary<string, string> { ["NM"] = "nm" });
        else
            Tool.Shell($"nm -n '{elf}' | sed -f '{script}' > '{output}'", workDir);
        return File.ReadAllText(output, System.Text.Encoding.Latin1);
    }

    private static string Ours(string series, string elf, string workDir)
    {
        var output = Path.Combine(workDir, $"our-System.map-{series}");
        var engine = new RecordingBuildEngine();
        var task = new WriteSystemMap { BuildEngine = engine, Vmlinux = elf, OutputFile = output, KernelVersion = series };
        Assert.IsTrue(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message)));
        return File.ReadAllText(output, System.Text.Encoding.Latin1);
    }

    private static void AssertSame(string expected, string actual, string what)
    {
        if (expected != actual) Assert.Fail($"{what}: {NmOracle.FirstDifference(expected, actual)}");
    }

    /// <summary>An executable with a symbol for every pattern of both filters, kept and deleted.</summary>
    private static string BuildFilterSample(TempTree tree)
    {
        const string source = """
            .text
            .globl _start, kept, __crc_x, __kstrtab_y, __kstrtabns_z, L0, L0x, "$x", foo_from_arm, bar_from_thumb
            .globl baz_veneer, __ARMv7ABSLongThunk_q, __efistub_e, __pi_$p, __pi_.Lp, __kvm_nvhe_$k, __kvm_nvhe_.Lk
            .globl __kcfi_typeid_t, __kvm_nvhe___kcfi_typeid_t, __pi___kcfi_typeid_t, _SDA_BASE_, _SDA2_BASE_
            .globl a.long_branch.b, c.plt_branch.d, _veneer_not_suffix, __Thunk_x, __a_Thunk_x
        _start: kept: __crc_x: __kstrtab_y: __kstrtabns_z: L0: L0x: "$x": foo_from_arm: bar_from_thumb: baz_veneer:
        __ARMv7ABSLongThunk_q: __efistub_e: __pi_$p: __pi_.Lp: __kvm_nvhe_$k: __kvm_nvhe_.Lk: __kcfi_typeid_t:
        __kvm_nvhe___kcfi_typeid_t: __pi___kcfi_typeid_t: _SDA_BASE_: _SDA2_BASE_: a.long_branch.b: c.plt_branch.d:
        _veneer_not_suffix: __Thunk_x: __a_Thunk_x: local_text: .Llocal_label:
            nop
            .weak weak_undefined
            .long weak_undefined
            .set local_abs, 0x10
            .globl global_abs
            .set global_abs, 0x20
            .data
        data_sym: .long 1
            .section .debug_info,"",@progbits
        debug_sym: .long 0
        """;
        tree.Assemble("sample.o", source, "as", "-L");
        tree.Run("ld", "-o", "sample", "sample.o");
        return tree.PathOf("sample");
    }

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void SyntheticElfMatchesKernelMksysmap(string series)
    {
        using var tree = new TempTree();
        var elf = BuildFilterSample(tree);
        var expected = KernelMksysmap(series, elf, tree.Root);
        StringAssert.Contains(expected, " kept\n");
        AssertSame(expected, Ours(series, elf, tree.Root), $"System.map {series}");
    }

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void KernelVmlinuxMatchesKernelMksysmap(string series)
    {
        var vmlinux = Path.Combine(KernelFixtures.BuildDir(series, "A"), "vmlinux");
        using var tree = new TempTree();
        var expected = KernelMksysmap(series, vmlinux, tree.Root);
        Assert.IsGreaterThan(1000, expected.Length);
        AssertSame(expected, Ours(series, vmlinux, tree.Root), $"System.map of {vmlinux}");
    }

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void VmlinuxArchiveSymbolsMatchNm(string series)
    {
        var archive = Path.Combine(KernelFixtures.BuildDir(series, "A"), "vmlinux.a");
        Assert.IsGreaterThan(100, LinkInputs.Expand([archive]).Count);
        AssertSame(NmOracle.Nm("-n", archive), NmOracle.OursForArchive(archive), $"nm -n {archive}");
    }

    [TestMethod]
    public void BadInputFailsTheTaskAndLeavesTheOldSystemMapAlone()
    {
        using var tree = new TempTree();
        var good = BuildFilterSample(tree);
        var bytes = File.ReadAllBytes(good);
        var cases = new Dictionary<string, string>
        {
            [tree.Write("not-elf", "#!/bin/sh\n")] = ErrorCodes.NotElf,
            [tree.PathOf("missing")] = ErrorCodes.FileUnreadable,
            [Path.Combine(tree.Root, "truncated")] = ErrorCodes.ElfTruncated,
        };
        File.WriteAllBytes(tree.PathOf("truncated"), bytes[..(bytes.Length / 2)]);
        var output = tree.Write("System.map", "previous contents\n");
        foreach (var (input, code) in cases)
        {
            var engine = new RecordingBuildEngine();
            var task = new WriteSystemMap { BuildEngine = engine, Vmlinux = input, OutputFile = output, KernelVersion = "6.12" };
            Assert.IsFalse(task.Execute(), input);
            Assert.HasCount(1, engine.Errors);
            Assert.AreEqual(code, engine.Errors[0].Code, engine.Errors[0].Message);
            Assert.AreEqual(input, engine.Errors[0].File);
            Assert.AreEqual("previous contents\n", File.ReadAllText(output));
            Assert.HasCount(1, Directory.GetFiles(tree.Root, "*System.map*"), "no temporary file left behind");
        }

        var unknownVersion = new WriteSystemMap { BuildEngine = new RecordingBuildEngine(), Vmlinux = good, OutputFile = output, KernelVersion = "4.19" };
        Assert.IsFalse(unknownVersion.Execute());
        Assert.AreEqual("previous contents\n", File.ReadAllText(output));

        // Output directories are created; one that cannot exist (its parent is a file) is a clear error.
        var unwritable = new RecordingBuildEngine();
        var task2 = new WriteSystemMap { BuildEngine = unwritable, Vmlinux = good, OutputFile = Path.Combine(good, "System.map"), KernelVersion = "6.1" };
        Assert.IsFalse(task2.Execute());
        Assert.AreEqual(ErrorCodes.SysmapWriteFailed, unwritable.Errors.Single().Code);
    }
}
