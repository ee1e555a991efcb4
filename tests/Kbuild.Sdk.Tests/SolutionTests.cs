using Kbuild.Tests;
using Microsoft.Build.Framework;
using Microsoft.Build.Logging;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// A kernel.kproj in a solution, as an IDE that opens solutions sees it: `dotnet sln add` takes it into a .sln and a .slnx
/// (its type is the SDK's DefaultProjectTypeGuid), `dotnet build` of the solution links the kernel, beside an ordinary C#
/// project too, and a design-time build of the solution runs nothing in the kernel project.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class SolutionTests
{
    private static readonly Dictionary<string, string> NoNodeReuse = new() { ["MSBUILDDISABLENODEREUSE"] = "1" };

    private static string Dotnet(string directory, params string[] args)
    {
        var run = Tool.Run("dotnet", args, directory, environment: NoNodeReuse);
        Assert.AreEqual(0, run.ExitCode, $"dotnet {string.Join(' ', args)}:\n{run.StdOut}{run.StdErr}");
        return run.StdOut;
    }

    /// <summary>A solution of the given format in a copy of samples/ holding minikernel/kernel.kproj, and with
    /// <paramref name="withLibrary"/> a C# class library lib/Lib.csproj.</summary>
    private static string Solution(SampleCopy samples, string format, bool withLibrary = false)
    {
        Dotnet(samples.Dir, "new", "sln", "--format", format, "-n", "kernels");
        var solution = Path.Combine(samples.Dir, $"kernels.{format}");
        StringAssert.Contains(Dotnet(samples.Dir, "sln", solution, "add", Path.Combine("minikernel", "kernel.kproj")), "added to the solution");
        if (withLibrary)
        {
            Directory.CreateDirectory(Path.Combine(samples.Dir, "lib"));
            File.WriteAllText(Path.Combine(samples.Dir, "lib", "Lib.csproj"),
                "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>");
            File.WriteAllText(Path.Combine(samples.Dir, "lib", "Lib.cs"), "namespace Lib; public static class Answer { public const int Value = 42; }");
            Dotnet(samples.Dir, "sln", solution, "add", Path.Combine("lib", "Lib.csproj"));
        }
        return solution;
    }

    [TestMethod]
    public void KernelProject_JoinsASln_AndBuildingTheSolutionLinksIt()
    {
        using var samples = new SampleCopy(".");
        var solution = Solution(samples, "sln");
        StringAssert.Contains(File.ReadAllText(solution), "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"kernel\", \"minikernel/kernel.kproj\"".Replace('/', '\\'));

        var build = Dotnet(samples.Dir, "build", solution, "-nodeReuse:false");
        var vmlinux = Path.Combine(samples.Dir, "minikernel", "out", "vmlinux");
        StringAssert.Contains(build, $"kernel -> {vmlinux}");
        StringAssert.Contains(build, "Kbuild.Sdk: 1 link");
        StringAssert.Contains(build, "0 Warning(s)", "a solution's restore asks each project whether it can be restored (NU1503)");
        Oracle.AssertConsistent(vmlinux, Path.Combine(samples.Dir, "minikernel", "out", "System.map"));
    }

    [TestMethod]
    public void KernelAndCSharpProjects_InOneSlnx_BothBuild()
    {
        using var samples = new SampleCopy(".");
        var solution = Solution(samples, "slnx", withLibrary: true);
        StringAssert.Contains(File.ReadAllText(solution), "<Project Path=\"minikernel/kernel.kproj\"");

        var build = Dotnet(samples.Dir, "build", solution, "-nodeReuse:false");
        StringAssert.Contains(build, $"kernel -> {Path.Combine(samples.Dir, "minikernel", "out", "vmlinux")}");
        StringAssert.Contains(build, $"Lib -> {Path.Combine(samples.Dir, "lib", "bin", "Debug", "net10.0", "Lib.dll")}");
        StringAssert.Contains(build, "0 Warning(s)");
    }

    /// <summary>The targets the .NET project system calls when it loads a project (dotnet/project-system's
    /// design-time-builds.md) that both a C# project and a kernel project have, with the global properties IDEs set.</summary>
    [TestMethod]
    public void DesignTimeBuildOfTheSolution_RunsNoTaskInTheKernelProject_AndWritesNothingThere()
    {
        using var samples = new SampleCopy(".");
        var solution = Solution(samples, "slnx", withLibrary: true);
        var kernelDir = Path.Combine(samples.Dir, "minikernel");
        var before = Directory.GetFileSystemEntries(kernelDir, "*", SearchOption.AllDirectories).Order().ToList();

        // The IDE restores first: NuGet asks the kernel project what it references (its own targets, no tool), nothing to restore.
        Dotnet(samples.Dir, "restore", solution, "-nodeReuse:false");
        var binlog = Path.Combine(samples.Dir, "design-time.binlog");
        Dotnet(samples.Dir, "msbuild", solution, "-nodeReuse:false", $"-bl:{binlog}",
            "-t:ResolveAssemblyReferencesDesignTime;ResolveProjectReferencesDesignTime;ResolvePackageDependenciesDesignTime;CollectPackageReferences;CollectFrameworkReferences;GetTargetPath",
            "-p:DesignTimeBuild=true;BuildingProject=false;SkipCompilerExecution=true;ProvideCommandLineArgs=true;BuildProjectReferences=false");

        var kernelTasks = new List<string>();
        var kernelTargets = new List<string>();
        var replay = new BinaryLogReplayEventSource();
        replay.AnyEventRaised += (_, e) =>
        {
            if (e is TaskStartedEventArgs task && task.ProjectFile.EndsWith("kernel.kproj", StringComparison.Ordinal)) kernelTasks.Add(task.TaskName);
            if (e is TargetStartedEventArgs target && target.ProjectFile.EndsWith("kernel.kproj", StringComparison.Ordinal)) kernelTargets.Add(target.TargetName);
        };
        replay.Replay(binlog);

        CollectionAssert.Contains(kernelTargets, "ResolveAssemblyReferencesDesignTime", "the design-time build did not reach the kernel project");
        Assert.IsEmpty(kernelTasks, "tasks ran in the kernel project: " + string.Join(", ", kernelTasks));
        CollectionAssert.AreEqual(before, Directory.GetFileSystemEntries(kernelDir, "*", SearchOption.AllDirectories).Order().ToList(),
            "the restore or the design-time build wrote into the kernel project");
    }
}
