using System.Diagnostics;
using System.Text.RegularExpressions;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>What a terminal showed while a command ran: every screen sampled, the last one, and the command's exit code.</summary>
public sealed record TerminalRun(int ExitCode, string Screen, IReadOnlyList<string> Screens)
{
    /// <summary>The screen's lines up to the command's end, without the blank ones (the command line was cleared away).</summary>
    public IEnumerable<string> Lines => Screen.Split('\n').Where(l => l.Trim().Length > 0).TakeWhile(l => !l.StartsWith("[exit ", StringComparison.Ordinal));
}

/// <summary>
/// A terminal as a person types into it: a tmux session on a server of its own (no one else's tmux is touched) running
/// bash in a clean environment, as a login would give it — in particular none of the CI variables for which MSBuild
/// keeps the terminal logger off. What the screen shows is read back with capture-pane, wrapped lines joined.
/// (`script -qec` gives a terminal too, but the terminal logger did not switch on under it here.)
/// </summary>
public sealed partial class TmuxTerminal : IDisposable
{
    /// <summary>The server's socket, in the tests' temporary directory: tmux leaves the file behind when its server exits.</summary>
    private readonly string _socket = Path.Combine(TestTemp.Directory("kbuild-tmux-"), "socket");

    /// <param name="environment">Variables the shell gets besides HOME, PATH and the .NET ones.</param>
    public TmuxTerminal(string directory, IReadOnlyDictionary<string, string>? environment = null, int width = 200, int height = 100)
    {
        var variables = new Dictionary<string, string>
        {
            ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/root",
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["TERM"] = "screen",
            ["LANG"] = "C.UTF-8",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
        };
        foreach (var inherited in new[] { "DOTNET_ROOT", "NUGET_PACKAGES" })
            if (Environment.GetEnvironmentVariable(inherited) is { Length: > 0 } value) variables[inherited] = value;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) variables[name] = value;
        Tmux(["new-session", "-d", "-x", $"{width}", "-y", $"{height}", "-c", directory,
            "env", "-i", .. variables.Select(v => $"{v.Key}={v.Value}"), "bash", "--norc", "--noprofile"]);
    }

    /// <summary>Types <paramref name="command"/> on a cleared screen, samples the screen until the command is done.</summary>
    public TerminalRun Run(string command, TimeSpan timeout)
    {
        Tmux(["send-keys", "-l", $"clear; {command}; echo \"[exit $?]\""]);
        Tmux(["send-keys", "Enter"]);
        var screens = new List<string>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var screen = Tmux(["capture-pane", "-p", "-J"]);
            if (screens.Count == 0 || screens[^1] != screen) screens.Add(screen);
            if (ExitMarker().Match(screen) is { Success: true } done) return new TerminalRun(int.Parse(done.Groups[1].Value), screen, screens);
            Thread.Sleep(100);
        }
        throw new TimeoutException($"'{command}' did not end within {timeout}; the screen shows:\n{screens.LastOrDefault()}");
    }

    [GeneratedRegex(@"^\[exit (\d+)\]$", RegexOptions.Multiline)]
    private static partial Regex ExitMarker();

    private string Tmux(IEnumerable<string> args) => Tool.RunChecked("tmux", ["-u", "-S", _socket, "-f", "/dev/null", .. args]);

    public void Dispose() => Tool.Run("tmux", ["-S", _socket, "kill-server"]);
}
