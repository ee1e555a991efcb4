using Kbuild.Kernel;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Symbols;
using Kbuild.Table;
using Kbuild.KernelTree;

namespace Kbuild.Tests.Table;

/// <summary>
/// KallsymsDump/KallsymsVerify's logic on vmlinux images make linked: the dump is the kernel's own table as
/// /proc/kallsyms shows it (System.map minus what scripts/kallsyms drops, in table order), and verification
/// finds the first entry of a damaged table.
/// </summary>
[TestClass]
public sealed class KallsymsInspectionTests
{
    [TestMethod]
    [DataRow("6.1", "A")]
    [DataRow("6.12", "A")]
    public void Dump_OfAMakeBuiltVmlinux_IsItsSystemMapAsKallsymsKeepsIt(string version, string config)
    {
        var build = KernelFixtures.BuildDir(version, config);
        var options = FixtureKernel.KallsymsOptions(build);
        var expected = KallsymsGenerator.Generate(SystemMap.Read(Path.Combine(build, "System.map")),
                KernelSeries.For(version).Kallsyms, options, KallsymsTarget.X86_64).Symbols
            .Select(s => $"{s.Address:x16} {s.Type} {s.Name}").ToList();

        using var vmlinux = ElfImage.Open(Path.Combine(build, "vmlinux"));
        var dump = KallsymsInspection.ProcKallsyms(vmlinux, options.AbsolutePercpu);

        Assert.IsTrue(expected.Count > 10000);
        CollectionAssert.AreEqual(expected, dump.TrimEnd('\n').Split('\n'));
    }

    [TestMethod]
    [DataRow("6.1", "A")]
    [DataRow("6.1", "B")]
    [DataRow("6.12", "A")]
    [DataRow("6.12", "B")]
    public void Verify_AMakeBuiltVmlinux_UnderItsBuildDirsRules_Matches(string version, string config)
    {
        var build = KernelFixtures.BuildDir(version, config);
        var rules = KernelKallsymsRules.Read(build);
        Assert.AreEqual(FixtureKernel.KallsymsOptions(build) with { BaseRelative = rules.Options.BaseRelative }, rules.Options);
        Assert.AreEqual(KernelVersion.Parse(version).Minor, rules.Version.Minor);

        using var vmlinux = ElfImage.Open(Path.Combine(build, "vmlinux"));
        var (count, difference) = KallsymsInspection.Verify(vmlinux, rules.Version, rules.Options);

        Assert.IsNull(difference, difference?.Describe());
        Assert.IsTrue(count > 10000);
    }

    [TestMethod]
    public void Verify_ADamagedTable_ReportsItsFirstDifferentEntry()
    {
        var build = KernelFixtures.BuildDir("6.1", "A");
        var dir = TestTemp.Directory("kallsyms-verify-");
        try
        {
            var copy = Path.Combine(dir, "vmlinux");
            File.Copy(Path.Combine(build, "vmlinux"), copy);
            long offset;
            using (var image = ElfImage.Open(copy))
                offset = image.FileOffsetOf(image.ReadSymbols().First(s => s.Name == "kallsyms_offsets").Value) + 4 * 7;
            using (var file = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite))
            {
                file.Position = offset;
                var b = file.ReadByte();
                file.Position = offset;
                file.WriteByte((byte)(b ^ 0x10));
            }

            var rules = KernelKallsymsRules.Read(build);
            using var damaged = ElfImage.Open(copy);
            var (_, difference) = KallsymsInspection.Verify(damaged, rules.Version, rules.Options);

            Assert.IsNotNull(difference);
            Assert.AreEqual(7, difference.Index, difference.Describe());
            Assert.AreEqual(difference.Expected!.Value.Name, difference.Decoded!.Value.Name);
            Assert.AreEqual(0x10UL, difference.Expected!.Value.Address ^ difference.Decoded!.Value.Address);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Rules_OfADirectoryWithoutLinkScript_AreAKbError()
    {
        var dir = TestTemp.Directory("kallsyms-rules-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "include", "config"));
            File.WriteAllText(Path.Combine(dir, "include", "config", "auto.conf"), "CONFIG_KALLSYMS=y\n");
            File.WriteAllText(Path.Combine(dir, "include", "config", "kernel.release"), "6.1.0\n");
            var e = Assert.ThrowsExactly<KbuildException>(() => KernelKallsymsRules.Read(dir));
            Assert.AreEqual(ErrorCodes.KernelLinkScriptMissing, e.Code);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
