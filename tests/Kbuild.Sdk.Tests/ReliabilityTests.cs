using System.Diagnostics;
using Kbuild.Tests;
using Kbuild.Symbols;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// A build that behaves (issue 12): outputs replaced by one rename, leftovers of interrupted builds removed,
/// one build per output at a time, paths of any spelling, design-time builds that run nothing, cancel, a
/// missing tool. Each case is a row of docs/reliability.md.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class ReliabilityTests
{
    [TestMethod]
    public void Relinks_NeverLeaveTheOutputPathEmpty()
    {
        using var kernel = new SyntheticKernel();
        Assert.IsTrue(kernel.Build().Succeeded);
        var missing = 0;
        var checks = 0;
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                checks++;
                if (!File.Exists(kernel.Vmlinux) || !File.Exists(kernel.SystemMap)) missing++;
            }
        });
        for (var i = 0; i < 4; i++)
        {
            kernel.Write("kernel.lds", SyntheticKernel.LinkerScriptText.Replace("_end = .;", $"_end = .;\n    __marker_{i} = .;"));
            kernel.Touch("kernel.lds");
            var outcome = kernel.Build();
            Assert.IsTrue(outcome.Succeeded, outcome.ToString());
            Assert.IsTrue(outcome.RanTask("PublishFile"), outcome.ToString());
        }
        stop.Cancel();
        watcher.Wait();
        Assert.AreEqual(0, missing, $"vmlinux or System.map was missing in {missing} of {checks} checks during 4 relinks");
        AssertNoLeftovers(kernel);
    }

    [TestMethod]
    public void LeftoversOfInterruptedBuilds_AreRemovedByTheNextBuild()
    {
        using var kernel = new SyntheticKernel();
        Assert.IsTrue(kernel.Build().Succeeded);
        string[] leftovers =
        [
            kernel.Write("out/.vmlinux.0123456789abcdef0123456789abcdef.staged", "half a kernel"),
            kernel.Write("out/.vmlinux.4242.0123456789abcdef0123456789abcdef.tmp", "half a kernel"),
            kernel.Write("out/.vmlinux.0123456789abcdef0123456789abcdef.linked", "half a patch"),
            kernel.Write("out/..vmlinux.0123456789abcdef0123456789abcdef.linked.4242.0123456789abcdef0123456789abcdef.tmp", "half an image"),
            kernel.Write("out/..vmlinux.0123456789abcdef0123456789abcdef.linked.4242.0123456789abcdef0123456789abcdef.tmp.rsp", "-T x"),
            kernel.Write("out/.System.map.4242.0123456789abcdef0123456789abcdef.tmp", "half a map"),
            kernel.Write("obj/.kallsyms.reserve.o.4242.0123456789abcdef0123456789abcdef.tmp", "half a reservation"),
        ];

        var outcome = kernel.Build();

        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        foreach (var leftover in leftovers) Assert.IsFalse(File.Exists(leftover), $"{leftover} was not removed");
        AssertNoLeftovers(kernel);
    }

    [TestMethod]
    public void ThreeConcurrentBuilds_RunOneAtATime_AndLeaveGoodOutputs()
    {
        using var kernel = new SyntheticKernel();
        Assert.IsTrue(kernel.Build().Succeeded);
        kernel.Touch("kernel.lds");

        var builds = Enumerable.Range(0, 3).Select(_ => Task.Run(() => BuildRunner.DotnetBuild(kernel.Project))).ToArray();
        Task.WaitAll(builds);

        foreach (var (exitCode, output) in builds.Select(b => b.Result))
            Assert.AreEqual(0, exitCode, output);
        Assert.IsTrue(builds.Any(b => b.Result.Output.Contains("waiting for the build in process")),
            "no build waited for another: " + string.Join("\n----\n", builds.Select(b => b.Result.Output)));
        Oracle.AssertConsistent(kernel);
        AssertNoLeftovers(kernel);
        Assert.AreEqual(0, new FileInfo(Path.Combine(kernel.Dir, "obj", ".kbuild.lock")).Length, "the lock outlived the builds");
    }

    [TestMethod]
    public void ABuildThatCannotGetTheLock_FailsWithKB0520_AndTouchesNothing()
    {
        using var kernel = new SyntheticKernel();
        Assert.IsTrue(kernel.Build().Succeeded);
        var vmlinux = File.ReadAllBytes(kernel.Vmlinux);
        kernel.Touch("kernel.lds");
        // A live process (this test's sleep) holds the lock.
        using var holder = Process.Start("sleep", "60");
        var start = File.ReadAllText($"/proc/{holder.Id}/stat").Split(") ")[1].Split(' ')[19];
        File.WriteAllText(Path.Combine(kernel.Dir, "obj", ".kbuild.lock"), $"{holder.Id} {start}\n");
        try
        {
            var outcome = kernel.Build(new Dictionary<string, string> { ["KbuildLockTimeoutSeconds"] = "2" });
            Assert.IsFalse(outcome.Succeeded, outcome.ToString());
            CollectionAssert.Contains(outcome.ErrorCodes.ToList(), "KB0520", outcome.ToString());
            Assert.IsFalse(outcome.RanTask("LinkVmlinux"), outcome.ToString());
            CollectionAssert.AreEqual(vmlinux, File.ReadAllBytes(kernel.Vmlinux));
        }
        finally
        {
            holder.Kill();
        }
        // The holder is gone: its lock is stale and the next build takes it over.
        holder.WaitForExit();
        Assert.IsTrue(kernel.Build().Succeeded);
    }

    [TestMethod]
    [DataRow("with space")]
    [DataRow("q'uote")]
    [DataRow("dq\"uote")]
    [DataRow("dollar$x$(y)")]
    [DataRow("semi;colon")]
    [DataRow("amp&ersand")]
    [DataRow("per%cent%41")]
    [DataRow("nön-äscii ünïcode")]
    public void ProjectPathsOfAnySpelling_Build(string directoryName)
    {
        using var kernel = new SyntheticKernel(directoryName: directoryName);
        var outcome = kernel.Build();
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        Oracle.AssertConsistent(kernel);
        Assert.IsTrue(kernel.Build().SkippedAsUpToDate("_KbuildLinkCore"), "a second build must be up to date");
    }

    [TestMethod]
    public void ARepositoryCloneInAFolderWithAQuote_LoadsItsTasks()
    {
        // The SDK's own sources, as a clone into "~/Bob's (old) projects" would hold them; the tasks build there.
        var clone = Path.Combine(Directory.CreateTempSubdirectory("kbuild-clone-").FullName, "Bob's (old) $projects");
        try
        {
            Directory.CreateDirectory(clone);
            foreach (var entry in new[] { "src", "Directory.Build.props", "global.json" })
                Tool.RunChecked("cp", ["-r", Path.Combine(RepoPaths.Root, entry), clone]);
            foreach (var output in Directory.GetDirectories(Path.Combine(clone, "src"), "*", SearchOption.AllDirectories)
                         .Where(d => Path.GetFileName(d) is "bin" or "obj").ToList())
                if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
            using var kernel = new SyntheticKernel(sdkRoot: clone);
            var outcome = kernel.Build();
            Assert.IsTrue(outcome.Succeeded, outcome.ToString());
            Oracle.AssertConsistent(kernel);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(clone)!, recursive: true);
        }
    }

    [TestMethod]
    public void InputsScriptOutputAndFlagsWithSpaces_RoundTrip()
    {
        using var kernel = new SyntheticKernel(directoryName: "My Projects");
        File.Move(Path.Combine(kernel.Dir, "kernel.lds"), Path.Combine(kernel.Dir, "the script's.lds"));
        Directory.Move(Path.Combine(kernel.Dir, "lib"), Path.Combine(kernel.Dir, "lib $&"));
        var map = Path.Combine(kernel.Dir, "link map.txt");
        var output = Path.Combine(kernel.Dir, "out put", "vm linux");
        var outcome = kernel.Build(new Dictionary<string, string>
        {
            ["VmlinuxLinkerScript"] = "the script's.lds",
            ["LdFlagsVmlinux"] = $"--build-id=sha1 -Map=\"{map}\"",
            ["VmlinuxOutputPath"] = output,
            ["TestLibrary"] = "lib $&/lib.a",
        });
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        Assert.IsTrue(File.Exists(map), "ld did not write the map named by a flag with a space");
        Oracle.AssertConsistent(output, Path.Combine(kernel.Dir, "out put", "System.map"));
    }

    [TestMethod]
    public void DesignTimeBuild_StartsNoToolAndWritesNothing()
    {
        using var kernel = new SyntheticKernel();
        var before = Directory.GetFileSystemEntries(kernel.Dir, "*", SearchOption.AllDirectories).Order().ToList();
        var designTime = new Dictionary<string, string> { ["DesignTimeBuild"] = "true" };

        foreach (var target in new[] { "Build", "ResolveAssemblyReferencesDesignTime", "ResolveProjectReferencesDesignTime", "CompileDesignTime", "GetTargetPath" })
        {
            var outcome = kernel.Build(designTime, target);
            Assert.IsTrue(outcome.Succeeded, $"{target}: {outcome}");
            Assert.AreEqual(0, outcome.ExecutedTasks.Count, $"{target} ran tasks: {string.Join(", ", outcome.ExecutedTasks)}");
        }
        var (exitCode, output) = BuildRunner.DotnetBuild(kernel.Project, "-p:DesignTimeBuild=true");
        Assert.AreEqual(0, exitCode, output);

        var after = Directory.GetFileSystemEntries(kernel.Dir, "*", SearchOption.AllDirectories)
            .Where(p => !p.EndsWith(".binlog", StringComparison.Ordinal)).Order().ToList();
        CollectionAssert.AreEqual(before, after, "a design-time build wrote files");
    }

    [TestMethod]
    public void KernelTreeDesignTimeBuild_StartsNoMakeAndWritesNothing()
    {
        // A build directory whose make would fail at once: a design-time build must not even try it.
        using var kernel = new SyntheticKernel("<PropertyGroup><KernelBuildDir>kernel-build</KernelBuildDir></PropertyGroup>");
        Directory.CreateDirectory(Path.Combine(kernel.Dir, "kernel-build"));
        var before = Directory.GetFileSystemEntries(kernel.Dir, "*", SearchOption.AllDirectories).Order().ToList();

        foreach (var target in new[] { "Build", "CompileDesignTime", "GetTargetPath" })
        {
            var outcome = kernel.Build(new Dictionary<string, string> { ["DesignTimeBuild"] = "true" }, target);
            Assert.IsTrue(outcome.Succeeded, $"{target}: {outcome}");
            Assert.AreEqual(0, outcome.ExecutedTasks.Count, $"{target} ran tasks: {string.Join(", ", outcome.ExecutedTasks)}");
        }
        CollectionAssert.AreEqual(before, Directory.GetFileSystemEntries(kernel.Dir, "*", SearchOption.AllDirectories).Order().ToList());
        // The same project outside design time does start the kernel-tree probe (and fails on this empty directory).
        Assert.IsTrue(kernel.Build().RanTask("ProbeKernelTree"));
    }

    [TestMethod]
    public void KernelBuildDirWithASpace_IsKB0420BeforeMakeStarts()
    {
        using var kernel = new SyntheticKernel("<PropertyGroup><KernelBuildDir>kernel build</KernelBuildDir></PropertyGroup>");
        var buildDir = Path.Combine(kernel.Dir, "kernel build");
        Directory.CreateDirectory(Path.Combine(buildDir, "include", "config"));
        File.WriteAllText(Path.Combine(buildDir, ".config"), "CONFIG_KALLSYMS=y\n");
        File.WriteAllText(Path.Combine(buildDir, "include", "config", "auto.conf"), "CONFIG_KALLSYMS=y\n");
        File.WriteAllText(Path.Combine(buildDir, "include", "config", "kernel.release"), "6.12.0\n");
        File.WriteAllText(Path.Combine(buildDir, "Makefile"), "vmlinux:\n\ttouch make-ran\n");
        var outcome = kernel.Build();
        Assert.IsFalse(outcome.Succeeded);
        var error = outcome.Errors.First(e => e.Code == "KB0420");
        StringAssert.Contains(error.Message, "space");
        Assert.IsFalse(File.Exists(Path.Combine(buildDir, "make-ran")), "make was started");
    }

    [TestMethod]
    public void CompilerThatCannotStart_IsKB0522NamingItAndItsPackage()
    {
        // A clang Cc assembles the reservation (behind GNU as, x86-64 objects are written without the driver).
        using var kernel = new SyntheticKernel();
        var outcome = kernel.Build(new Dictionary<string, string> { ["Cc"] = "clang-99" });
        Assert.IsFalse(outcome.Succeeded);
        var error = outcome.Errors.Single(e => e.Code == "KB0522");
        StringAssert.Contains(error.Message, "clang-99");
        StringAssert.Contains(error.Message, "Debian package");
    }

    [TestMethod]
    public void CtrlC_DuringTheLink_StopsTheLinkerSaysCancelled_AndKeepsTheOutputs()
    {
        using var kernel = new SyntheticKernel();
        Assert.IsTrue(kernel.Build().Succeeded);
        var vmlinux = File.ReadAllBytes(kernel.Vmlinux);
        var started = Path.Combine(kernel.Dir, "ld.started");
        var slowLd = kernel.Write("slow-ld.sh", $"#!/bin/sh\necho $$ > '{started}'\nsleep 120\nexec ld \"$@\"");
        Tool.RunChecked("chmod", ["+x", slowLd]);
        kernel.Touch("kernel.lds");

        // Disposed at the end, pass or fail: nothing of the build (slow-ld, an MSBuild node) outlives the test.
        using var dotnet = BuildRunner.StartDotnetBuild(kernel.Project, new Dictionary<string, string?>(), $"-p:Ld={slowLd}");
        var build = dotnet.Process;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!File.Exists(started) || File.ReadAllText(started).Trim().Length == 0)
        {
            if (DateTime.UtcNow > deadline || build.HasExited) Assert.Fail("the linker never started: " + dotnet.KillAndCollectOutput());
            Thread.Sleep(100);
        }
        var ldPid = int.Parse(File.ReadAllText(started).Trim());
        Tool.RunChecked("kill", ["-INT", build.Id.ToString()]);
        Assert.IsTrue(build.WaitForExit(TimeSpan.FromSeconds(60)), "the build did not stop within 60 s of Ctrl-C: " + dotnet.KillAndCollectOutput());
        var output = dotnet.Output;

        Assert.AreNotEqual(0, build.ExitCode, output);
        StringAssert.Contains(output, "KB0521", output);
        StringAssert.Contains(output, "cancelled", output);
        Assert.IsFalse(output.Contains("KB0305"), "a cancel is not a linker failure: " + output);
        Assert.IsFalse(Directory.Exists($"/proc/{ldPid}"), "the linker outlived the cancel");
        CollectionAssert.AreEqual(vmlinux, File.ReadAllBytes(kernel.Vmlinux), "a cancelled build changed vmlinux");
        var rebuilt = kernel.Build();
        Assert.IsTrue(rebuilt.Succeeded, rebuilt.ToString());
        AssertNoLeftovers(kernel);
    }

    private static void AssertNoLeftovers(SyntheticKernel kernel)
    {
        var leftovers = Directory.GetFiles(kernel.Dir, ".*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".tmp", StringComparison.Ordinal) || p.EndsWith(".staged", StringComparison.Ordinal)
                || p.EndsWith(".linked", StringComparison.Ordinal) || p.EndsWith(".rsp", StringComparison.Ordinal))
            .ToList();
        Assert.AreEqual(0, leftovers.Count, "left behind: " + string.Join(", ", leftovers));
    }
}
