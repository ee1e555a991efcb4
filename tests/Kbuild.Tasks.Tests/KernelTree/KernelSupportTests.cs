using Kbuild.Diagnostics;
using Kbuild.KernelTree;

namespace Kbuild.Tests.KernelTree;

/// <summary>
/// Kernel-tree mode refuses what it does not reproduce, naming the option, before the kernel's make writes
/// anything (the fake Makefile would leave a file behind if make ran). The configurations are the real
/// fixtures' auto.conf, plus the one option under test.
/// </summary>
[TestClass]
public sealed class KernelSupportTests
{
    private const string MakeLeavesAMark = "vmlinux:\n\t@touch made\n";

    [TestMethod]
    [DataRow("6.1", "A")]
    [DataRow("6.12", "A")]
    [DataRow("6.1", "B")]
    [DataRow("6.12", "B")]
    [DataRow("6.1", "BTF")]
    [DataRow("6.12", "BTF")]
    [DataRow("6.12", "arm64")]
    [DataRow("6.12", "arm64gcc")]
    [DataRow("6.1", "L")]
    [DataRow("6.12", "L")]
    public void TheTestedFixturesAreLinkable(string version, string config)
    {
        var build = KernelFixtures.BuildDir(version, config);
        KernelSupport.EnsureLinkable(KernelConfig.Load(build), KernelRelease.Read(build).Series, build);
    }

    [TestMethod]
    [DataRow("CONFIG_LTO_CLANG_FULL")]
    [DataRow("CONFIG_X86_KERNEL_IBT")]
    [DataRow("CONFIG_BUILTIN_MODULE_RANGES")]
    [DataRow("CONFIG_CPU_BIG_ENDIAN")]
    public void RefusedOptionIsNamed(string option)
    {
        using var tree = RealConfigWith($"{option}=y\n");
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelSupport.EnsureLinkable(KernelConfig.Load(tree.Dir), KernelRelease.Read(tree.Dir).Series, tree.Dir));
        Assert.AreEqual(ErrorCodes.KernelOptionUnsupported, e.Code);
        StringAssert.Contains(e.Message, option + "=y");
        StringAssert.Contains(e.Message, "make vmlinux");
        Assert.AreEqual(tree.AutoConf, e.File);
    }

    [TestMethod]
    [DataRow("CONFIG_X86_KERNEL_IBT")]
    public void RefusedOn61OnlyIsLinkableOn612(string option)
    {
        using var tree = new FakeKernelTree("6.12.0", "", FakeKernelTree.X86_64 + option + "=y\n");
        KernelSupport.EnsureLinkable(KernelConfig.Load(tree.Dir), KernelRelease.Read(tree.Dir).Series, tree.Dir);
    }

    [TestMethod]
    [DataRow("6.12", "A")]
    public void TheFixturesOf612LinkVmlinuxOWithIbt(string version, string config)
    {
        // 6.12 turns X86_KERNEL_IBT on by default: every 6.12 kernel-tree test links vmlinux.o, as link-vmlinux.sh does.
        var build = KernelFixtures.BuildDir(version, config);
        var kbuild = new KernelTreeValues(build, KernelRelease.Read(build), KernelConfig.Load(build), "", "", "", "", "", "", new Dictionary<string, string>());
        Assert.IsTrue(kbuild.Config.IsEnabled("X86_KERNEL_IBT"));
        Assert.AreEqual(Path.Combine(build, "vmlinux.o"), kbuild.WholeArchiveInputs[0]);
        Assert.AreEqual(0, kbuild.Libraries.Count);
    }

    [TestMethod]
    public void RefusedOptionStopsTheProbeBeforeMakeWritesAnything()
    {
        using var tree = RealConfigWith("CONFIG_LTO_CLANG_FULL=y\n");
        var files = tree.Files();
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelTreeProbe.Capture(tree.Dir));
        Assert.AreEqual(ErrorCodes.KernelOptionUnsupported, e.Code);
        CollectionAssert.AreEqual(files, tree.Files(), "nothing may be written");
    }

    [TestMethod]
    public void EveryRefusedOptionIsNamedAtOnce()
    {
        using var tree = RealConfigWith("CONFIG_X86_KERNEL_IBT=y\nCONFIG_LTO_CLANG_FULL=y\n");  // 6.1
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelSupport.EnsureLinkable(KernelConfig.Load(tree.Dir), KernelRelease.Read(tree.Dir).Series, tree.Dir));
        StringAssert.Contains(e.Message, "CONFIG_LTO_CLANG_FULL=y, CONFIG_X86_KERNEL_IBT=y");
        StringAssert.Contains(e.Message, "-d LTO_CLANG_FULL -d X86_KERNEL_IBT");
    }

    [TestMethod]
    [DataRow("CONFIG_UML=y\nCONFIG_64BIT=y\nCONFIG_X86_64=y\n", "CONFIG_UML=y")]
    [DataRow("CONFIG_RISCV=y\nCONFIG_64BIT=y\n", "CONFIG_RISCV=y")]
    [DataRow("CONFIG_X86_32=y\nCONFIG_X86=y\n", "CONFIG_X86_32=y")]
    [DataRow("CONFIG_KALLSYMS=y\n", "no CONFIG_X86_64=y")]
    public void OtherArchitecturesAreRefusedBeforeMake(string autoConf, string named, string release = "6.12.0", string arguments = "")
    {
        using var tree = new FakeKernelTree(release, MakeLeavesAMark, autoConf);
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelTreeProbe.Capture(tree.Dir, arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.AreEqual(ErrorCodes.UnsupportedKernelArchitecture, e.Code);
        StringAssert.Contains(e.Message, named);
        Assert.IsFalse(File.Exists(Path.Combine(tree.Dir, "made")), "make must not run");
    }

    [TestMethod]
    public void Arm64IsLinkableOn612AndRefusedBigEndian()
    {
        const string arm64 = "CONFIG_64BIT=y\nCONFIG_ARM64=y\nCONFIG_KALLSYMS=y\nCONFIG_RELOCATABLE=y\nCONFIG_RELR=y\n";
        using var tree = new FakeKernelTree("6.12.0", "", arm64);
        KernelSupport.EnsureLinkable(KernelConfig.Load(tree.Dir), KernelRelease.Read(tree.Dir).Series, tree.Dir);

        File.AppendAllText(tree.AutoConf, "CONFIG_CPU_BIG_ENDIAN=y\n");
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelSupport.EnsureLinkable(KernelConfig.Load(tree.Dir), KernelRelease.Read(tree.Dir).Series, tree.Dir));
        Assert.AreEqual(ErrorCodes.KernelOptionUnsupported, e.Code);
        StringAssert.Contains(e.Message, "CONFIG_CPU_BIG_ENDIAN=y");
    }

    [TestMethod]
    public void ConfigurationMakeRegeneratesIsCheckedAgain()
    {
        // .config changed: make's syncconfig rewrites auto.conf before it builds.
        using var tree = new FakeKernelTree("6.12.0", "vmlinux:\n\t@echo CONFIG_LTO_CLANG_FULL=y >> include/config/auto.conf\n\t@$(cmd_link_vmlinux)\n");
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelTreeProbe.Capture(tree.Dir));
        Assert.AreEqual(ErrorCodes.KernelOptionUnsupported, e.Code);
        StringAssert.Contains(e.Message, "CONFIG_LTO_CLANG_FULL=y");
    }

    [TestMethod]
    public void SavedSettingsOfANowRefusedConfigurationAreRefused()
    {
        using var tree = RealConfigWith("CONFIG_LTO_CLANG_FULL=y\n");
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelTreeProbe.Load(tree.Dir, Path.Combine(tree.Dir, "no-such-values")));
        Assert.AreEqual(ErrorCodes.KernelTreeValuesNotCaptured, e.Code, "a missing cache is reported first");
        File.WriteAllBytes(Path.Combine(tree.Dir, "values"), "0\0"u8.ToArray());
        e = Assert.ThrowsExactly<KbuildException>(() => KernelTreeProbe.Load(tree.Dir, Path.Combine(tree.Dir, "values")));
        Assert.AreEqual(ErrorCodes.KernelOptionUnsupported, e.Code);
    }

    [TestMethod]
    public void VmlinuxMapIsTheMapOfOurOneLink()
    {
        using var tree = new FakeKernelTree("6.1.0", "", FakeKernelTree.X86_64 + "CONFIG_VMLINUX_MAP=y\n");
        var kbuild = new KernelTreeValues(tree.Dir, KernelRelease.Read(tree.Dir), KernelConfig.Load(tree.Dir), "link-vmlinux.sh", "ld",
            "-m elf_x86_64", "--build-id=sha1", "", "make", new Dictionary<string, string> { ["KBUILD_LDS"] = "vmlinux.lds" });
        KernelSupport.EnsureLinkable(kbuild.Config, kbuild.Series, tree.Dir);
        var map = $"-Map={Path.Combine(tree.Dir, "vmlinux.map")}";
        Assert.AreEqual(map, kbuild.MapFlag);
        Assert.AreEqual(map, kbuild.LinkerFlags[^1], "link-vmlinux.sh puts it last");
    }

    // The 6.1-A fixture's real auto.conf with extra lines, in a tree whose make would leave a mark.
    private static FakeKernelTree RealConfigWith(string extra)
    {
        var real = File.ReadAllText(KernelConfig.AutoConfPath(KernelFixtures.BuildDir("6.1", "A")));
        return new FakeKernelTree("6.1.0", MakeLeavesAMark, real + extra);
    }
}
