using System.Text.RegularExpressions;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// `dotnet build` in a real terminal (tmux), as a person runs it: the terminal logger, at the verbosity the project's
/// folder sets (Directory.Build.rsp, which `dotnet new kproj` writes too). While it builds, the live line names the step
/// running and its clock (during the kernel's make: KernelTreeProbe); at the end, the project's line with its output,
/// the summary line under it, and the result — nothing else.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed partial class TerminalTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The terminal logger's live line for a project: "  kernel   KernelTreeProbe (5.6s)".</summary>
    [GeneratedRegex(@"^\s+kernel\s+(?<target>\S+) \((?<seconds>\d+\.\d)s\)\s*$", RegexOptions.Multiline)]
    private static partial Regex LiveLine();

    /// <summary>The live lines the screens showed: (target, clock).</summary>
    private static List<(string Target, string Seconds)> LiveLines(TerminalRun run) =>
        run.Screens.SelectMany(s => LiveLine().Matches(s)).Select(m => (m.Groups["target"].Value, m.Groups["seconds"].Value)).Distinct().ToList();

    /// <summary>The final screen, line by line, against patterns: exactly these lines.</summary>
    private static void AssertScreen(TerminalRun run, params string[] patterns)
    {
        var lines = run.Lines.ToList();
        Assert.HasCount(patterns.Length, lines, "the screen:\n" + run.Screen);
        foreach (var (pattern, line) in patterns.Zip(lines))
            Assert.IsTrue(Regex.IsMatch(line, pattern), $"'{line}' is not '{pattern}'; the screen:\n{run.Screen}");
    }

    [TestMethod]
    public void Minikernel_InATerminal_ShowsTheStepsRunning_ThenTheProjectLineAndTheSummary()
    {
        using var sample = new SampleCopy();
        using var terminal = new TmuxTerminal(sample.Dir);
        var run = terminal.Run("dotnet build kernel.kproj", BuildTimeout);

        Assert.AreEqual(0, run.ExitCode, run.Screen);
        Assert.IsNotEmpty(LiveLines(run), "no screen showed the step running:\n" + string.Join("\n----\n", run.Screens));
        AssertScreen(run,
            @"^Restore complete \(\d+\.\ds\)$",
            @"^  kernel succeeded \(\d+\.\ds\) → out/vmlinux$",
            @"^    Kbuild\.Sdk: 1 link; kallsyms table \d+ of \d+ reserved bytes \(\d+\.\d%\); reservation \d+\.\d\d s, link .*, System\.map \d+\.\d\d s$",
            @"^Build succeeded in \d+\.\ds$");
    }

    /// <summary>A kernel-tree build of fixture 6.1-A, linked out of place (make runs in the shared build directory, under the
    /// fixtures' lock; it has nothing to rebuild there, and its seconds tick on the live line all the same).</summary>
    [TestMethod]
    public void KernelTree_InATerminal_ShowsMakeRunning_ThenTheProjectLineTheKernelAndTheSummary()
    {
        var build = KernelFixtures.BuildDir("6.1", "A");
        var dir = TestTemp.Directory("kbuild-terminal-");
        KernelProject.Write(Path.Combine(dir, "kernel.kproj"), [("KernelBuildDir", build), ("VmlinuxOutputPath", "image/vmlinux")]);
        File.Copy(Path.Combine(RepoPaths.Root, "samples", "minikernel", "Directory.Build.rsp"), Path.Combine(dir, "Directory.Build.rsp"));
        using var terminal = new TmuxTerminal(dir);
        var run = terminal.Run("flock /tmp/kbuild-kernel.lock dotnet build kernel.kproj", BuildTimeout);

        Assert.AreEqual(0, run.ExitCode, run.Screen);
        var make = LiveLines(run).Where(l => l.Target == "KernelTreeProbe").ToList();
        Assert.IsGreaterThanOrEqualTo(2, make.Count, "the live line did not show make running with its clock going:\n" + string.Join("\n----\n", run.Screens));
        AssertScreen(run,
            @"^Restore complete \(\d+\.\ds\)$",
            @"^  kernel succeeded \(\d+\.\ds\) → image/vmlinux$",
            @"^    kernel 6\.1\.\d+ in .*/6\.1-A/: ld, \d+ objects, \d+ libraries, kallsyms .*$",
            @"^    Kbuild\.Sdk: 1 link; kallsyms table \d+ of \d+ reserved bytes .*, post-link \d+\.\d\d s, System\.map \d+\.\d\d s$",
            @"^Build succeeded in \d+\.\ds$");
        Assert.IsTrue(File.Exists(Path.Combine(dir, "image", "vmlinux")));
    }
}
