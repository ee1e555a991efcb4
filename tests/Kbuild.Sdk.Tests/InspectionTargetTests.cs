using Kbuild.Kernel;
using Kbuild.Symbols;
using Kbuild.Table;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// -t:KallsymsDump and -t:KallsymsVerify on our sample's vmlinux and on vmlinux images make linked; the oracle is the
/// kernel's own table, System.map minus what scripts/kallsyms drops, in table order.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class InspectionTargetTests
{
    private static List<string> ExpectedDump(string systemMap, string version, KallsymsOptions options) =>
        KallsymsGenerator.Generate(SystemMap.Read(systemMap), KernelSeries.For(version).Kallsyms, options, KallsymsTarget.X86_64).Symbols
            .Select(s => $"{s.Address:x16} {s.Type} {s.Name}").ToList();

    private static Dictionary<string, string> Props(params (string, string)[] p) => p.ToDictionary(x => x.Item1, x => x.Item2);

    [TestMethod]
    public void OnTheSample_DumpIsTheTable_VerifyPasses_AndFailsWithNonZeroExitOnAnImageWithoutTable()
    {
        using var sample = new SampleCopy();
        Assert.IsTrue(BuildRunner.Build(sample.Project).Succeeded);
        var expected = ExpectedDump(sample.SystemMap, "6.12", new KallsymsOptions { AllSymbols = true, BaseRelative = true });
        var dumpFile = Path.Combine(sample.Dir, "kallsyms.txt");

        var dump = BuildRunner.Build(sample.Project, "KallsymsDump", Props(("KallsymsDumpFile", dumpFile)));
        Assert.IsTrue(dump.Succeeded, dump.ToString());
        CollectionAssert.AreEqual(expected, File.ReadAllLines(dumpFile));

        // Without a file, the lines are printed at normal verbosity.
        var (printExit, printed) = BuildRunner.DotnetBuild(sample.Project, "-t:KallsymsDump");
        Assert.AreEqual(0, printExit, printed);
        foreach (var line in expected) StringAssert.Contains(printed, line);

        var verify = BuildRunner.Build(sample.Project, "KallsymsVerify");
        Assert.IsTrue(verify.Succeeded, verify.ToString());
        StringAssert.Contains(verify.ToString(), $"table matches its {expected.Count} symbols under Linux 6.12 rules");

        // The linked image before the patch holds an empty table: a mismatch at entry 0, and a failing command.
        // -t:KbuildLink stops after the link (to another output, so the sample's vmlinux stays as it is).
        var unpatched = Path.Combine(sample.Dir, "linked-only");
        var link = BuildRunner.Build(sample.Project, "KbuildLink",
            Props(("VmlinuxOutputPath", Path.Combine(sample.Dir, "elsewhere", "vmlinux")), ("VmlinuxLinkedPath", unpatched)));
        Assert.IsTrue(link.Succeeded && File.Exists(unpatched), link.ToString());
        var (exit, output) = BuildRunner.DotnetBuild(sample.Project, "-t:KallsymsVerify", $"-p:Vmlinux={unpatched}");
        Assert.AreNotEqual(0, exit, output);
        StringAssert.Contains(output, "error KB0240");
        StringAssert.Contains(output, $"entry 0 is nothing, expected {expected[0][..16].TrimStart('0')}");
    }

    /// <summary>A kernel-tree project pointed at make's build directory: inspecting never runs make, the rules come from the directory.</summary>
    [TestMethod]
    [DataRow("6.1", "A")]
    [DataRow("6.12", "A")]
    public void OnAMakeBuiltVmlinux_DumpIsTheKernelsTable_AndVerifyPasses(string version, string config)
    {
        var build = KernelFixtures.BuildDir(version, config);
        var dir = Directory.CreateTempSubdirectory("kbuild-inspect-").FullName;
        try
        {
            var project = Path.Combine(dir, "kernel.kproj");
            KernelProject.Write(project, [("KernelBuildDir", build)]);
            var dumpFile = Path.Combine(dir, "kallsyms.txt");

            var dump = BuildRunner.Build(project, "KallsymsDump", Props(("KallsymsDumpFile", dumpFile)));
            var verify = BuildRunner.Build(project, "KallsymsVerify");

            Assert.IsTrue(dump.Succeeded, dump.ToString());
            Assert.IsTrue(verify.Succeeded, verify.ToString());
            Assert.IsFalse(dump.RanTask("ProbeKernelTree") || verify.RanTask("ProbeKernelTree"), "inspection must not run the kernel's make");
            CollectionAssert.AreEqual(ExpectedDump(Path.Combine(build, "System.map"), version, FixtureKernel.KallsymsOptions(build)),
                File.ReadAllLines(dumpFile));
            StringAssert.Contains(verify.ToString(), $"under Linux {version} rules");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
