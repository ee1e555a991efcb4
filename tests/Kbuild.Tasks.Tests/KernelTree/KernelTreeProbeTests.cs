using Kbuild.Diagnostics;
using Kbuild.KernelTree;

namespace Kbuild.Tests.KernelTree;

/// <summary>
/// KernelTreeProbe against kernels the kernel's own make linked: what it captures must reproduce the
/// command make saved in .vmlinux.cmd and, linked with the kernel's own kallsyms object, the kernel's
/// own vmlinux. Probing runs make in the fixture directory, which (like any kernel link) rebuilds
/// init/version-timestamp.o; vmlinux and .vmlinux.cmd stay as they were.
/// </summary>
[TestClass]
public sealed class KernelTreeProbeTests
{
    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void CapturedValuesRelinkTheKernelsVmlinux(string version)
    {
        var build = KernelFixtures.BuildDir(version, "A");
        var cmdFile = Path.Combine(build, ".vmlinux.cmd");
        var savedBefore = File.ReadAllBytes(cmdFile);
        var vmlinuxTime = File.GetLastWriteTimeUtc(Path.Combine(build, "vmlinux"));

        var kbuild = KernelTreeProbe.Capture(build);

        CollectionAssert.AreEqual(savedBefore, File.ReadAllBytes(cmdFile), ".vmlinux.cmd must be restored");
        Assert.AreEqual(vmlinuxTime, File.GetLastWriteTimeUtc(Path.Combine(build, "vmlinux")), "probing must not relink");
        Assert.AreEqual(SavedCommand(savedBefore), kbuild.SavedLinkCommand);
        Assert.AreEqual(version, $"{kbuild.Version.Major}.{kbuild.Version.Minor}");
        Assert.IsTrue(kbuild.KallsymsEnabled);
        CollectionAssert.AreEqual(version == "6.1" ? new[] { "--all-symbols", "--base-relative" } : ["--all-symbols"],
            kbuild.KallsymsOptions.ToArray());

        // Link as link-vmlinux.sh's final vmlinux_link does, with the kernel's last kallsyms object.
        var work = TestTemp.Directory("kbuild-relink-");
        try
        {
            var ours = Path.Combine(work, "vmlinux");
            Tool.RunChecked(kbuild.Linker,
                [.. kbuild.LinkerFlags, "-o", ours, "--whole-archive", .. kbuild.WholeArchiveInputs, "--no-whole-archive",
                 "--start-group", .. kbuild.Libraries, "--end-group", LastKallsymsObject(build, version)], build);
            KernelPostLinkSteps.SortTables(kbuild, ours);

            var kernels = Path.Combine(build, "vmlinux");
            Assert.AreEqual(Tool.RunChecked("nm", ["-n", kernels]), Tool.RunChecked("nm", ["-n", ours]));
            // sorttable's work: the exception table bytes equal the kernel's sorted ones.
            CollectionAssert.AreEqual(Section(kernels, "__ex_table", work), Section(ours, "__ex_table", work));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void SavedCommandFileIsTheOneMakeWrote(string version)
    {
        var build = KernelFixtures.BuildDir(version, "A");
        var cmdFile = Path.Combine(build, ".vmlinux.cmd");
        var makes = File.ReadAllBytes(cmdFile);
        var kbuild = KernelTreeProbe.Capture(build);
        try
        {
            KernelPostLinkSteps.WriteSavedCommand(kbuild, kbuild.BuildDir);
            Assert.AreEqual(System.Text.Encoding.UTF8.GetString(makes), File.ReadAllText(cmdFile));
        }
        finally
        {
            File.WriteAllBytes(cmdFile, makes);
        }
    }

    [TestMethod]
    [DataRow("6.1", new[] { "--absolute-percpu", "--base-relative" })]
    [DataRow("6.12", new[] { "--absolute-percpu" })]
    public void KallsymsOptionsFollowTheKernelsScript(string version, string[] expected)
    {
        var kbuild = KernelTreeProbe.Capture(KernelFixtures.BuildDir(version, "B"));
        CollectionAssert.AreEqual(expected, kbuild.KallsymsOptions.ToArray());
        Assert.IsTrue(kbuild.WholeArchiveInputs.Any(p => p.EndsWith(".vmlinux.export.o", StringComparison.Ordinal)), "CONFIG_MODULES links the export object");
        Assert.AreEqual(version == "6.12", kbuild.ArchPostLink.EndsWith("arch/x86/Makefile.postlink", StringComparison.Ordinal));
    }

    [TestMethod]
    public void DirectoryWithoutConfigurationIsRejected()
    {
        var dir = TestTemp.Directory("kbuild-notkernel-");
        try
        {
            var e = Assert.ThrowsExactly<KbuildException>(() => KernelTreeProbe.Capture(dir));
            Assert.AreEqual(ErrorCodes.KernelBuildDirNotConfigured, e.Code);
            StringAssert.Contains(e.Message, dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void UnsupportedVersionIsRejected()
    {
        using var tree = new FakeKernelTree("5.10.0", "vmlinux:\n\t@true\n");
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelTreeProbe.Capture(tree.Dir));
        Assert.AreEqual(ErrorCodes.UnsupportedKernelVersion, e.Code);
        StringAssert.Contains(e.Message, "5.10.0");
    }

    [TestMethod]
    public void FailingMakeIsReportedWithItsOutput()
    {
        using var tree = new FakeKernelTree("6.1.0", "vmlinux:\n\t@echo 'drivers/foo.c:1: error: broken'; false\n");
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelTreeProbe.Capture(tree.Dir));
        Assert.AreEqual(ErrorCodes.KernelMakeFailed, e.Code);
        StringAssert.Contains(e.Message, "drivers/foo.c:1: error: broken");
    }

    [TestMethod]
    public void MakeThatNeverLinksThroughCmdLinkVmlinuxIsReported()
    {
        using var tree = new FakeKernelTree("6.12.0", "vmlinux:\n\t@true\n");
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelTreeProbe.Capture(tree.Dir));
        Assert.AreEqual(ErrorCodes.KernelTreeValuesNotCaptured, e.Code);
    }

    [TestMethod]
    public void ConfigReadsAutoConf()
    {
        using var tree = new FakeKernelTree("6.1.0", "", "CONFIG_64BIT=y\nCONFIG_NR_CPUS=8\nCONFIG_LOCALVERSION=\"-x\"\nCONFIG_FOO=m\n");
        var config = KernelConfig.Load(tree.Dir);
        Assert.IsTrue(config.IsEnabled("64BIT"));
        Assert.IsFalse(config.IsEnabled("KALLSYMS"), "a kernel without CONFIG_KALLSYMS is flagged by IsEnabled");
        Assert.IsFalse(config.IsEnabled("FOO"));
        Assert.AreEqual("8", config["CONFIG_NR_CPUS"]);
        Assert.AreEqual("-x", config["LOCALVERSION"]);
    }

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void VersionComesFromTheBuildAndMatchesTheSource(string version)
    {
        var release = KernelRelease.Read(KernelFixtures.BuildDir(version, "A"));
        var v = release.Version;
        var makefile = File.ReadAllText(Path.Combine(KernelFixtures.SourceDir(version), "Makefile"));
        StringAssert.StartsWith(makefile, $"# SPDX-License-Identifier: GPL-2.0\nVERSION = {v.Major}\nPATCHLEVEL = {v.Minor}\nSUBLEVEL = {v.Patch}\n");
        Assert.IsTrue(release.IsSupported);
    }

    // The command part of "cmd_vmlinux := …" (6.1) / "savedcmd_vmlinux := …" (6.12).
    private static string SavedCommand(byte[] cmdFile) =>
        System.Text.Encoding.UTF8.GetString(cmdFile).Split('\n')[0].Split(" := ", 2)[1];

    private static string LastKallsymsObject(string build, string version) =>
        Directory.GetFiles(build, version == "6.1" ? ".tmp_vmlinux.kallsyms?.o" : ".tmp_vmlinux?.kallsyms.o")
            .Order(StringComparer.Ordinal).Last();

    private static byte[] Section(string elf, string section, string work)
    {
        var output = Path.Combine(work, $"section-{Guid.NewGuid():N}");
        Tool.RunChecked("objcopy", ["-O", "binary", $"--only-section={section}", elf, output]);
        return File.ReadAllBytes(output);
    }
}
