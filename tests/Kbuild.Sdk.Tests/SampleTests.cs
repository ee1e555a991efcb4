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
        var dir = Directory.CreateTempSubdirectory("kbuild-sample-").FullName;
        try
        {
            var sample = Path.Combine(RepoPaths.Root, "samples", "minikernel");
            Tool.RunChecked("cp", ["-r", sample + "/.", dir]);
            foreach (var leftover in new[] { "obj", "out" })
                if (Directory.Exists(Path.Combine(dir, leftover))) Directory.Delete(Path.Combine(dir, leftover), true);
            var project = Path.Combine(dir, "kernel.kproj");
            File.WriteAllText(project, File.ReadAllText(project).Replace("../../src/Kbuild.Sdk/", RepoPaths.Root + "/src/Kbuild.Sdk/"));

            var outcome = BuildRunner.Build(project);
            Assert.IsTrue(outcome.Succeeded, outcome.ToString());
            Assert.AreEqual(1, outcome.ExecutedTasks.Count(t => t == "LinkVmlinux"), "one link: the prediction is exact");
            var vmlinux = Path.Combine(dir, "out", "vmlinux");
            var systemMap = Path.Combine(dir, "out", "System.map");
            Oracle.AssertConsistent(vmlinux, systemMap);

            // The sample reads its own table with the kernel's kallsyms.c code: count and backtrace names.
            var run = Tool.RunChecked(vmlinux, []);
            var mapLines = File.ReadAllLines(systemMap);
            StringAssert.Contains(run, $"booting, {mapLines.Length} symbols in kallsyms table");
            StringAssert.Contains(run, " main+0x");

            // The kernel's way (scripts/kallsyms 6.12, links until stable) gives the very same bytes.
            var reference = Path.Combine(dir, "kernel-tools");
            Tool.RunChecked("sh", [Path.Combine(dir, "build-with-kernel-tools.sh"), reference],
                environment: new Dictionary<string, string> { ["KERNEL_SRC"] = KernelFixtures.SourceDir("6.12") });
            Assert.IsNull(ImageDiff.FirstDifference(Path.Combine(reference, "vmlinux"), vmlinux));
            Assert.IsNull(ImageDiff.FirstDifference(Path.Combine(reference, "System.map"), systemMap));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
