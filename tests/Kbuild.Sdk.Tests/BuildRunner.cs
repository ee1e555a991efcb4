using Kbuild.Tests;
using System.Diagnostics;
using System.Text;
using Microsoft.Build.Evaluation;
using Microsoft.Build.Execution;
using Microsoft.Build.Framework;
using Microsoft.Build.Logging;

namespace Kbuild.Sdk.Tests;

/// <summary>What one build did, from its own events.</summary>
public sealed class BuildOutcome
{
    public bool Succeeded { get; set; }
    public List<string> ExecutedTasks { get; } = [];
    public List<string> UpToDateTargets { get; } = [];
    public List<BuildErrorEventArgs> Errors { get; } = [];
    public List<BuildWarningEventArgs> Warnings { get; } = [];
    /// <summary>Every message, at any importance (<see cref="Log"/> keeps only the high-importance ones).</summary>
    public List<string> Messages { get; } = [];
    public StringBuilder Log { get; } = new();

    public bool RanTask(string task) => ExecutedTasks.Contains(task);
    public bool SkippedAsUpToDate(string target) => UpToDateTargets.Contains(target);
    public IEnumerable<string> ErrorCodes => Errors.Select(e => e.Code);
    public override string ToString() => Log.ToString();
}

/// <summary>
/// A `dotnet build` running in a process group of its own (the process is the group's leader), SIGINT at its default
/// whatever the test run's parent ignored. Disposing it kills the whole group — the build, its MSBuild nodes and task
/// hosts, the tools they run — so a test that fails midway leaves nothing running.
/// </summary>
public sealed class DotnetBuildProcess : IDisposable
{
    private readonly Task<string> _stdout, _stderr;

    public DotnetBuildProcess(Process process)
    {
        Process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public Process Process { get; }

    /// <summary>Everything it printed (waits for it to end).</summary>
    public string Output => _stdout.Result + _stderr.Result;

    public string KillAndCollectOutput()
    {
        Kill();
        return Output;
    }

    public void Dispose()
    {
        Kill();
        Process.Dispose();
    }

    private void Kill() => Tool.Run("kill", ["-KILL", "--", $"-{Process.Id}"]);
}

/// <summary>Builds a project in-proc through the located MSBuild, or out-of-proc with `dotnet build`.</summary>
public static class BuildRunner
{
    private static readonly object Gate = new();
    private static int _builds;
    private static readonly Lazy<string> BinlogDirectory = new(() => TestTemp.Directory("kbuild-binlogs-"));

    public static BuildOutcome Build(string project, string target = "Build", IDictionary<string, string>? properties = null)
    {
        lock (Gate)
        {
            var globals = (properties ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => (string?)p.Value);
            var outcome = new BuildOutcome();
            // Not beside the project: the logger's parameter string cannot hold a path with ';' or '"'.
            var binlog = Path.Combine(BinlogDirectory.Value, $"build-{Interlocked.Increment(ref _builds)}.binlog");
            var logger = new BinaryLogger { Parameters = binlog };
            using var collection = new ProjectCollection(globals!);
            var parameters = new BuildParameters(collection)
            {
                Loggers = [logger],
                EnableNodeReuse = false,
                MaxNodeCount = 1,
            };
            var request = new BuildRequestData(project, globals, null, [target], null);
            var result = BuildManager.DefaultBuildManager.Build(parameters, request);
            outcome.Succeeded = result.OverallResult == BuildResultCode.Success;
            Collect(binlog, outcome);
            File.Delete(binlog);
            return outcome;
        }
    }

    /// <summary>`dotnet build` in a child process (for killing a build midway); returns exit code and output.</summary>
    public static (int ExitCode, string Output) DotnetBuild(string project, params string[] extraArgs) =>
        DotnetBuild(project, new Dictionary<string, string?>(), extraArgs);

    /// <param name="environment">Variables to set for the child; a null value removes one.</param>
    /// <param name="timeout">How long the build may take (5 minutes by default); then it is killed, and the test fails.</param>
    public static (int ExitCode, string Output) DotnetBuild(string project, IReadOnlyDictionary<string, string?> environment,
        params string[] extraArgs) => DotnetBuild(project, environment, TimeSpan.FromMinutes(5), extraArgs);

    public static (int ExitCode, string Output) DotnetBuild(string project, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout,
        params string[] extraArgs)
    {
        using var build = StartDotnetBuild(project, environment, extraArgs);
        if (!build.Process.WaitForExit(timeout)) Assert.Fail($"the build did not end within {timeout}: {build.KillAndCollectOutput()}");
        build.Process.WaitForExit();
        return (build.Process.ExitCode, build.Output);
    }

    /// <summary>A `dotnet build` started and left running (<see cref="DotnetBuildProcess"/>).</summary>
    public static DotnetBuildProcess StartDotnetBuild(string project, IReadOnlyDictionary<string, string?> environment, params string[] extraArgs)
    {
        // setsid: a process group of its own, which Dispose kills whole. env --default-signal=INT: a suite started in the
        // background inherits SIGINT ignored, and .NET would keep it ignored; a test's Ctrl-C must reach the build.
        var psi = StartInfo("setsid", ["env", "--default-signal=INT", "dotnet", "build", project, "-nodeReuse:false", "-v:n", "-clp:NoSummary", .. extraArgs],
            new Dictionary<string, string?>(environment) { ["MSBUILDDISABLENODEREUSE"] = environment.GetValueOrDefault("MSBUILDDISABLENODEREUSE", "1") });
        return new DotnetBuildProcess(Process.Start(psi)!);
    }

    /// <param name="environment">Variables to set for the child; a null value removes one.</param>
    private static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment)
    {
        var psi = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment)
            if (value == null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        return psi;
    }

    /// <summary>`dotnet build` handed to the MSBuild server (DOTNET_CLI_USE_MSBUILD_SERVER=1), started by the first such
    /// build and left running for the next: shut it down with <see cref="ShutDownMSBuildServer"/>. Node reuse must be
    /// allowed, and MSBUILDENSURESTDOUTFORTASKPROCESSES (which the test platform sets) unset: either keeps MSBuild in the client.</summary>
    public static (int ExitCode, string Output) DotnetBuildThroughMSBuildServer(string project, params string[] extraArgs) =>
        Dotnet(["build", project, "-v:n", "-clp:NoSummary", .. extraArgs],
            new Dictionary<string, string?>
            {
                ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "1", ["MSBUILDDISABLENODEREUSE"] = null, ["MSBUILDENSURESTDOUTFORTASKPROCESSES"] = null,
            });

    public static void ShutDownMSBuildServer() => Dotnet(["build-server", "shutdown", "--msbuild"], new Dictionary<string, string?>());

    private static (int ExitCode, string Output) Dotnet(IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment)
    {
        using var p = Process.Start(StartInfo("dotnet", args, environment))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) p.Kill(entireProcessTree: true);
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Collects the events of a binary log (a logger class of our own would have to implement
    /// Microsoft.Build's ILogger, which test discovery cannot load before the Locator has run).</summary>
    private static void Collect(string binlog, BuildOutcome outcome)
    {
        var replay = new BinaryLogReplayEventSource();
        replay.AnyEventRaised += (_, e) =>
        {
            switch (e)
            {
                case TaskStartedEventArgs t:
                    outcome.ExecutedTasks.Add(t.TaskName);
                    break;
                case TargetSkippedEventArgs s when s.SkipReason == TargetSkipReason.OutputsUpToDate:
                    outcome.UpToDateTargets.Add(s.TargetName);
                    break;
                case BuildErrorEventArgs err:
                    outcome.Errors.Add(err);
                    outcome.Log.AppendLine($"{err.File}({err.LineNumber}): error {err.Code}: {err.Message}");
                    return;
                case BuildWarningEventArgs w:
                    outcome.Warnings.Add(w);
                    outcome.Log.AppendLine($"{w.File}: warning {w.Code}: {w.Message}");
                    return;
            }
            if (e is BuildMessageEventArgs { Message: { } message }) outcome.Messages.Add(message);
            if (e is BuildMessageEventArgs { Importance: MessageImportance.High } or TargetStartedEventArgs or TargetSkippedEventArgs)
                outcome.Log.AppendLine(e.Message);
        };
        replay.Replay(binlog);
    }
}
