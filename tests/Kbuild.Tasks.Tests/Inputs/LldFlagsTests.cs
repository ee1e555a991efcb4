using System.Text.RegularExpressions;
using Kbuild.Kernel;
using Kbuild.Inputs;

namespace Kbuild.Tests.Inputs;

/// <summary>LldFlags against the real linkers: what it drops, ld.lld-16 rejects and GNU ld accepts; what it keeps
/// of every fixture kernel's link flags, ld.lld-16 accepts.</summary>
[TestClass]
public sealed class LldFlagsTests
{
    private static string LinkableObject()
    {
        var dir = TestTemp.Directory("kbuild-lldflags-");
        File.WriteAllText(Path.Combine(dir, "start.c"), "void _start(void) { for (;;); }\n");
        Tool.RunChecked("gcc", ["-O2", "-ffreestanding", "-fno-pie", "-c", "-o", "start.o", "start.c"], dir);
        return Path.Combine(dir, "start.o");
    }

    private static Tool.Result Link(string linker, IEnumerable<string> flags, string obj) =>
        Tool.Run(linker, [.. flags, "-o", obj + ".out", obj]);

    [TestMethod]
    public void DroppedFlags_AreRejectedByLldAndAcceptedByGnuLd()
    {
        var obj = LinkableObject();
        foreach (var flag in LldFlags.GnuLdOnly)
        {
            var lld = Link("ld.lld-16", [flag], obj);
            Assert.AreNotEqual(0, lld.ExitCode, $"ld.lld-16 accepts {flag}: it need not be dropped");
            StringAssert.Contains(lld.StdErr, "unknown argument");
            Assert.AreEqual(0, Link("ld.bfd", [flag], obj).ExitCode, $"GNU ld rejects {flag}");
        }
    }

    [TestMethod]
    [DataRow("6.1", "A"), DataRow("6.12", "A"), DataRow("6.1", "B"), DataRow("6.12", "B")]
    public void FixtureKernelFlags_AfterTranslation_AreAcceptedByLld(string version, string config)
    {
        var cmd = File.ReadLines(Path.Combine(KernelFixtures.BuildDir(version, config), ".vmlinux.cmd")).First();
        // cmd_vmlinux := …/link-vmlinux.sh "LD" "KBUILD_LDFLAGS" "LDFLAGS_vmlinux"; …
        var quoted = Regex.Matches(cmd, "\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        var flags = ShellWords.CommandLine(quoted[1]).Concat(ShellWords.CommandLine(quoted[2])).ToList();

        var (kept, dropped) = LldFlags.ForLld(flags);

        CollectionAssert.Contains(dropped.ToList(), "--no-warn-rwx-segments");
        CollectionAssert.AreEqual(flags.Where(f => !dropped.Contains(f)).ToList(), kept.ToList(), "order kept");
        var obj = LinkableObject();
        var lld = Link("ld.lld-16", kept, obj);
        Assert.AreEqual(0, lld.ExitCode, lld.StdErr);
        Assert.AreNotEqual(0, Link("ld.lld-16", flags, obj).ExitCode, "untranslated, ld.lld-16 should refuse them");
    }

    [TestMethod]
    [DataRow("ld.lld", true), DataRow("ld.lld-16", true), DataRow("/usr/bin/ld.lld-16", true),
     DataRow("x86_64-linux-gnu-ld.lld", true), DataRow("ld", false), DataRow("ld.bfd", false),
     DataRow("x86_64-linux-gnu-ld", false), DataRow("/opt/lld-wrapper/ld", false)]
    public void IsLld_NamesLldCommandsOnly(string linker, bool expected) =>
        Assert.AreEqual(expected, LldFlags.IsLld(linker));
}
