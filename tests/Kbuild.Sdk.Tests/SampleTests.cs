using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>samples/minikernel built by the SDK from source, checked against the kernel's own multi-link build of it.</summary>
[TestClass]
[DoNotParallelize]
public sealed class SampleTests
{
    [TestMethod]
    public void Minikernel_BuildsRunsAndMatchesTheKernelToolsBuild()
    {
        using var sample = new SampleCopy();
        var outcome = BuildRunner.Build(sample.Project);
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        var (vmlinux, systemMap) = (sample.Vmlinux, sample.SystemMap);
        Oracle.AssertConsistent(vmlinux, systemMap);

        Assert.AreEqual(1, outcome.ExecutedTasks.Count(t => t == "LinkVmlinux"), "one link: the prediction is exact");

        // The sample reads its own table with the kernel's kallsyms.c code: count and backtrace names.
        var run = Tool.RunChecked(vmlinux, []);
        var mapLines = File.ReadAllLines(systemMap);
        StringAssert.Contains(run, $"booting, {mapLines.Length} symbols in kallsyms table");
        StringAssert.Contains(run, " main+0x");

        // The kernel's way (scripts/kallsyms 6.12, links until stable) gives the very same bytes.
        var reference = Path.Combine(sample.Dir, "kernel-tools");
        Tool.RunChecked("sh", [Path.Combine(sample.Dir, "build-with-kernel-tools.sh"), reference],
            environment: new Dictionary<string, string> { ["KERNEL_SRC"] = KernelFixtures.SourceDir("6.12") });
        Assert.IsNull(ImageDiff.FirstDifference(Path.Combine(reference, "vmlinux"), vmlinux));
        Assert.IsNull(ImageDiff.FirstDifference(Path.Combine(reference, "System.map"), systemMap));
    }
}
