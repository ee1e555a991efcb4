using Kbuild.Diagnostics;
using Kbuild.KernelTree;

namespace Kbuild.Tests.KernelTree;

/// <summary>
/// The tools the kernel's make will need, as its top Makefile picks them (LLVM=, CROSS_COMPILE=, CC=…), are
/// checked before make runs: a missing one is an error naming it and its Debian package, and nothing is written.
/// </summary>
[TestClass]
public sealed class KernelToolchainTests
{
    [TestMethod]
    [DataRow(new string[0], "gcc ld ar nm objcopy")]
    [DataRow(new[] { "LLVM=1" }, "clang ld.lld llvm-ar llvm-nm llvm-objcopy")]
    [DataRow(new[] { "LLVM=-16" }, "clang-16 ld.lld-16 llvm-ar-16 llvm-nm-16 llvm-objcopy-16")]
    [DataRow(new[] { "LLVM=/opt/llvm/bin/" }, "/opt/llvm/bin/clang /opt/llvm/bin/ld.lld /opt/llvm/bin/llvm-ar /opt/llvm/bin/llvm-nm /opt/llvm/bin/llvm-objcopy")]
    [DataRow(new[] { "CROSS_COMPILE=aarch64-linux-gnu-" }, "aarch64-linux-gnu-gcc aarch64-linux-gnu-ld aarch64-linux-gnu-ar aarch64-linux-gnu-nm aarch64-linux-gnu-objcopy")]
    [DataRow(new[] { "LLVM=1", "CROSS_COMPILE=aarch64-linux-gnu-" }, "clang ld.lld llvm-ar llvm-nm llvm-objcopy")]
    [DataRow(new[] { "LLVM=-16", "CC=gcc", "LD=ld.bfd" }, "gcc ld.bfd llvm-ar-16 llvm-nm-16 llvm-objcopy-16")]
    [DataRow(new[] { "CC=ccache gcc", "LLVM=1", "LLVM=" }, "ccache ld ar nm objcopy")]
    public void ToolsAreTheOnesTheTopMakefilePicks(string[] arguments, string expected)
    {
        var tools = KernelToolchain.Required(Config(""), arguments, new Dictionary<string, string?>());
        CollectionAssert.AreEqual(expected.Split(' '), tools.Select(t => t.Command).ToArray());
        CollectionAssert.AreEqual(new[] { "CC", "LD", "AR", "NM", "OBJCOPY" }, tools.Select(t => t.Variable).ToArray());
    }

    [TestMethod]
    public void EnvironmentCountsWhenTheCommandLineSaysNothing()
    {
        var env = new Dictionary<string, string?> { ["LLVM"] = "-16", ["CROSS_COMPILE"] = "x-" };
        Assert.AreEqual("clang-16", KernelToolchain.Required(Config(""), [], env)[0].Command);
        Assert.AreEqual("x-gcc", KernelToolchain.Required(Config(""), ["LLVM="], env)[0].Command, "LLVM= on the command line wins over the environment");
        Assert.AreEqual("pahole", KernelToolchain.Required(Config("CONFIG_DEBUG_INFO_BTF=y\n"), [], env)[^1].Command);
    }

    // Oracle: dpkg for the tools installed here, apt's package lists for the rest.
    [TestMethod]
    [DataRow("gcc")]
    [DataRow("gcc-12")]
    [DataRow("ld")]
    [DataRow("nm")]
    [DataRow("objcopy")]
    [DataRow("x86_64-linux-gnu-ld")]
    [DataRow("ld.lld-16")]
    public void PackageOfAnInstalledToolIsTheOneDpkgKnows(string tool)
    {
        var file = Tool.Shell($"command -v {tool}").Trim();
        var owner = Tool.RunChecked("dpkg", ["-S", file]).Split(':')[0];
        Assert.AreEqual(owner, KernelToolchain.DebianPackage(tool));
    }

    [TestMethod]
    [DataRow("clang", "clang")]
    [DataRow("ld.lld", "lld")]
    [DataRow("llvm-objcopy", "llvm")]
    [DataRow("clang-16", "clang-16")]
    [DataRow("llvm-nm-16", "llvm-16")]
    [DataRow("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu")]
    [DataRow("aarch64-linux-gnu-gcc-12", "gcc-12-aarch64-linux-gnu")]
    [DataRow("aarch64-linux-gnu-ld", "binutils-aarch64-linux-gnu")]
    [DataRow("pahole", "dwarves")]
    public void PackageOfAMissingToolExistsInDebian(string tool, string package)
    {
        Assert.AreEqual(package, KernelToolchain.DebianPackage(tool));
        Tool.RunChecked("apt-cache", ["show", "--no-all-versions", package]);
    }

    [TestMethod]
    [DataRow("LLVM=-99", "CC=clang-99", "clang-99")]
    [DataRow("CROSS_COMPILE=nonexistent-linux-gnu-", "CC=nonexistent-linux-gnu-gcc", "gcc-nonexistent-linux-gnu")]
    [DataRow("LLVM=/nonexistent/", "CC=/nonexistent/clang", null)]
    public void MissingCompilerStopsTheProbeNamingToolAndPackage(string argument, string tool, string? package)
    {
        using var tree = new FakeKernelTree("6.12.0", "vmlinux:\n\t@touch made\n");
        var files = tree.Files();
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelTreeProbe.Capture(tree.Dir, [argument]));
        Assert.AreEqual(ErrorCodes.KernelToolMissing, e.Code);
        StringAssert.Contains(e.Message, tool);
        if (package != null) StringAssert.Contains(e.Message, $"apt-get install {package}");
        CollectionAssert.AreEqual(files, tree.Files(), "make must not run, nothing may be written");
    }

    private const string Arm64 = "CONFIG_64BIT=y\nCONFIG_ARM64=y\nCONFIG_KALLSYMS=y\n";

    // The top Makefile: ARCH ?= $(SUBARCH) (the host's), SRCARCH x86 for x86_64/i386; CROSS_COMPILE, LLVM or CC pick
    // the compiler, else the host's gcc.
    [TestMethod]
    [DataRow(Arm64, "", "X64", "KB0470")]
    [DataRow(Arm64, "ARCH=x86_64", "X64", "KB0470")]
    [DataRow(Arm64, "ARCH=arm64", "X64", "KB0471")]
    [DataRow(Arm64, "ARCH=arm64 LLVM=-16", "X64", null)]
    [DataRow(Arm64, "ARCH=arm64 LLVM=1", "X64", null)]
    [DataRow(Arm64, "ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-", "X64", null)]
    [DataRow(Arm64, "ARCH=arm64 CC=clang", "X64", null)]
    [DataRow(Arm64, "", "Arm64", null)]
    [DataRow(FakeKernelTree.X86_64, "", "X64", null)]
    [DataRow(FakeKernelTree.X86_64, "ARCH=x86_64", "X64", null)]
    [DataRow(FakeKernelTree.X86_64, "ARCH=x86", "X64", null)]
    [DataRow(FakeKernelTree.X86_64, "ARCH=arm64 LLVM=1", "X64", "KB0470")]
    [DataRow(FakeKernelTree.X86_64, "", "Arm64", "KB0470")]
    [DataRow(FakeKernelTree.X86_64, "ARCH=x86_64", "Arm64", "KB0471")]
    [DataRow("CONFIG_64BIT=y\nCONFIG_RISCV=y\n", "", "X64", null)]  // refused later, by KernelSupport
    public void ArchitectureIsTheConfigurationsAndACrossBuildHasACrossToolchain(string autoConf, string arguments, string host, string? code)
    {
        using var tree = new FakeKernelTree("6.12.0", "", autoConf);
        void Check() => KernelToolchain.EnsureTargetArchitecture(KernelConfig.Load(tree.Dir), arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            tree.Dir, new Dictionary<string, string?>(), Enum.Parse<System.Runtime.InteropServices.Architecture>(host));
        if (code == null)
        {
            Check();
            return;
        }
        var e = Assert.ThrowsExactly<KbuildException>(Check);
        Assert.AreEqual(code, e.Code);
        if (code == ErrorCodes.KernelCrossCompilerMissing && autoConf == Arm64)
            foreach (var hint in new[] { "CROSS_COMPILE=aarch64-linux-gnu-", "gcc-aarch64-linux-gnu", "binutils-aarch64-linux-gnu", "LLVM=1", "gcc-multilib" })
                StringAssert.Contains(e.Message, hint);
        if (code == ErrorCodes.KernelArchitectureMismatch)
            StringAssert.Contains(e.Message, autoConf == Arm64 ? "add ARCH=arm64" : "add ARCH=x86");
    }

    [TestMethod]
    public void ArchitectureFromTheEnvironmentCounts()
    {
        using var tree = new FakeKernelTree("6.12.0", "", Arm64);
        var env = new Dictionary<string, string?> { ["ARCH"] = "arm64", ["LLVM"] = "-16" };
        KernelToolchain.EnsureTargetArchitecture(KernelConfig.Load(tree.Dir), [], tree.Dir, env, System.Runtime.InteropServices.Architecture.X64);
        var e = Assert.ThrowsExactly<KbuildException>(() =>
            KernelToolchain.EnsureTargetArchitecture(KernelConfig.Load(tree.Dir), ["ARCH=x86"], tree.Dir, env, System.Runtime.InteropServices.Architecture.X64));
        Assert.AreEqual(ErrorCodes.KernelArchitectureMismatch, e.Code, "ARCH= on the command line wins over the environment");
    }

    // An arm64 kernel whose cross tools are missing: the tool and its package, before make writes anything.
    [TestMethod]
    [DataRow("ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=aarch64-linux-gnu-gcc-99", "KB0461", "CC=aarch64-linux-gnu-gcc-99", "apt-get install gcc-99-aarch64-linux-gnu")]
    [DataRow("ARCH=arm64 LLVM=-99", "KB0461", "CC=clang-99", "apt-get install clang-99")]
    [DataRow("ARCH=arm64", "KB0471", "CROSS_COMPILE=aarch64-linux-gnu-", "gcc-aarch64-linux-gnu")]
    [DataRow("", "KB0470", "ARCH=arm64", "CONFIG_ARM64=y")]
    public void Arm64WithoutItsCrossToolsStopsTheProbeNamingToolAndPackage(string arguments, string code, string tool, string package)
    {
        using var tree = new FakeKernelTree("6.12.0", "vmlinux:\n\t@touch made\n", Arm64);
        var files = tree.Files();
        // A gcc version that no machine has (eng/install-deps.sh installs the cross gcc itself).
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelTreeProbe.Capture(tree.Dir, arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.AreEqual(code, e.Code);
        StringAssert.Contains(e.Message, tool);
        StringAssert.Contains(e.Message, package);
        CollectionAssert.AreEqual(files, tree.Files(), "make must not run, nothing may be written");
    }

    /// <summary>LLVM=-16 with clang-16 installed but the linker or nm of the suffix missing from PATH: the missing one
    /// is named with its Debian package (lld-16, llvm-16), before make runs.</summary>
    [TestMethod]
    [DataRow("ld.lld-16", "LD=ld.lld-16", "lld-16")]
    [DataRow("llvm-nm-16", "NM=llvm-nm-16", "llvm-16")]
    public void LlvmToolMissingBesideItsCompilerIsNamedWithItsPackage(string missing, string tool, string package)
    {
        using var tree = new FakeKernelTree("6.12.0", "");
        var bin = Path.Combine(tree.Dir, "bin");
        Directory.CreateDirectory(bin);
        foreach (var t in new[] { "clang-16", "ld.lld-16", "llvm-ar-16", "llvm-nm-16", "llvm-objcopy-16" }.Where(t => t != missing))
            File.CreateSymbolicLink(Path.Combine(bin, t), Tool.Shell($"command -v {t}").Trim());
        var env = new Dictionary<string, string?> { ["PATH"] = bin };
        var config = KernelConfig.Load(tree.Dir);

        var e = Assert.ThrowsExactly<KbuildException>(() => KernelToolchain.EnsureAvailable(config, ["LLVM=-16"], tree.Dir, env));
        Assert.AreEqual(ErrorCodes.KernelToolMissing, e.Code);
        StringAssert.Contains(e.Message, tool);
        StringAssert.Contains(e.Message, $"apt-get install {package}");
    }

    [TestMethod]
    public void PaholeMissingOrTooOldIsReportedForBtf()
    {
        using var tree = new FakeKernelTree("6.12.0", "", FakeKernelTree.X86_64 + "CONFIG_DEBUG_INFO_BTF=y\n");
        var bin = Path.Combine(tree.Dir, "bin");
        Directory.CreateDirectory(bin);
        foreach (var t in new[] { "gcc", "ld", "ar", "nm", "objcopy" })
            File.CreateSymbolicLink(Path.Combine(bin, t), Tool.Shell($"command -v {t}").Trim());
        var env = new Dictionary<string, string?> { ["PATH"] = bin };
        var config = KernelConfig.Load(tree.Dir);

        var e = Assert.ThrowsExactly<KbuildException>(() => KernelToolchain.EnsureAvailable(config, [], tree.Dir, env));
        Assert.AreEqual(ErrorCodes.KernelToolMissing, e.Code);
        StringAssert.Contains(e.Message, "PAHOLE=pahole");
        StringAssert.Contains(e.Message, "apt-get install dwarves");

        var pahole = Path.Combine(bin, "pahole");
        File.WriteAllText(pahole, "#!/bin/sh\necho v1.15\n");
        Tool.RunChecked("chmod", ["+x", pahole]);
        e = Assert.ThrowsExactly<KbuildException>(() => KernelToolchain.EnsureAvailable(config, [], tree.Dir, env));
        Assert.AreEqual(ErrorCodes.PaholeTooOld, e.Code);
        StringAssert.Contains(e.Message, "v1.15");

        File.WriteAllText(pahole, "#!/bin/sh\necho v1.24\n");
        KernelToolchain.EnsureAvailable(config, [], tree.Dir, env);
    }

    /// <summary>The oldest pahole a tree's BTF takes, read from the tree: 6.1's link-vmlinux.sh, 6.12's and 7.x's Kconfig.</summary>
    [TestMethod]
    [DataRow("6.1", 116)]
    [DataRow("6.12", 116)]
    [DataRow("7.3", 122)]
    public void PaholeMinimumIsTheTrees(string series, int minimum) =>
        Assert.AreEqual(minimum, KernelToolchain.PaholeMinimum(KernelFixtures.SourceDir(series)));

    /// <summary>7.x needs LLVM 17.0.1 (its scripts/min-tool-version.sh) and this machine's newest clang is 16: refused
    /// before make, naming the minimum; 6.12 takes clang 16.</summary>
    [TestMethod]
    [DataRow("7.3.4", "KB0465")]
    [DataRow("6.12.0", null)]
    public void ClangOlderThanTheTreesMinimumIsRefused(string release, string? code)
    {
        using var tree = new FakeKernelTree(release, "");
        var config = KernelConfig.Load(tree.Dir);
        var env = new Dictionary<string, string?> { ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") };
        if (code == null)
        {
            KernelToolchain.EnsureAvailable(config, ["LLVM=-16"], tree.Dir, env);
            return;
        }
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelToolchain.EnsureAvailable(config, ["LLVM=-16"], tree.Dir, env));
        Assert.AreEqual(code, e.Code);
        StringAssert.Contains(e.Message, "LLVM 17.0.1");
    }

    private static KernelConfig Config(string extra)
    {
        using var tree = new FakeKernelTree("6.12.0", "", FakeKernelTree.X86_64 + extra);
        return KernelConfig.Load(tree.Dir);
    }
}
