using Kbuild.Tests;
using Kbuild.Symbols;

namespace Kbuild.Sdk.Tests;

/// <summary>samples/minikernel built by the SDK from source, checked against the kernel's own multi-link build of it.</summary>
[TestClass]
[DoNotParallelize]
public sealed class SampleTests
{
    [TestMethod]
    public void Minikernel_BuildsInADirectoryWhoseNameTheShellWouldSplit()
    {
        var root = Directory.CreateTempSubdirectory("kbuild-sample-").FullName;
        try
        {
            var dir = Path.Combine(root, "My $HOME q'uote; & 100% ü");
            var project = CopySample(dir);
            var outcome = BuildRunner.Build(project);
            Assert.IsTrue(outcome.Succeeded, outcome.ToString());
            StringAssert.Contains(Tool.RunChecked(Path.Combine(dir, "out", "vmlinux"), []), " main+0x");
            Assert.IsTrue(BuildRunner.Build(project).SkippedAsUpToDate("_MinikernelCompileObjects"), "a second build must compile nothing");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public void Minikernel_DesignTimeBuild_StartsNoToolAndWritesNothing()
    {
        var root = Directory.CreateTempSubdirectory("kbuild-sample-").FullName;
        try
        {
            var project = CopySample(Path.Combine(root, "minikernel"));
            var before = Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories).Order().ToList();
            var outcome = BuildRunner.Build(project, properties: new Dictionary<string, string> { ["DesignTimeBuild"] = "true" });
            Assert.IsTrue(outcome.Succeeded, outcome.ToString());
            Assert.AreEqual(0, outcome.ExecutedTasks.Count, string.Join(", ", outcome.ExecutedTasks));
            CollectionAssert.AreEqual(before, Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories).Order().ToList());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string CopySample(string dir)
    {
        Directory.CreateDirectory(dir);
        Tool.RunChecked("cp", ["-r", Path.Combine(RepoPaths.Root, "samples", "minikernel") + "/.", dir]);
        foreach (var leftover in new[] { "obj", "out" })
            if (Directory.Exists(Path.Combine(dir, leftover))) Directory.Delete(Path.Combine(dir, leftover), true);
        var project = Path.Combine(dir, "kernel.kproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace("../../src/Kbuild.Sdk/", RepoPaths.Root + "/src/Kbuild.Sdk/"));
        return project;
    }

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
