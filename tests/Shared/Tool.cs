using System.Diagnostics;

namespace Kbuild.Tests;

/// <summary>Runs the real tools the tests compare against (nm, gcc, ld, scripts/kallsyms, make).</summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static Result Run(string fileName, IEnumerable<string> args, string? workingDirectory = null,
        string? stdin = null, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin != null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        if (environment != null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs and fails the test with the tool's stderr when it exits non-zero.</summary>
    public static string RunChecked(string fileName, IEnumerable<string> args, string? workingDirectory = null,
        string? stdin = null, IDictionary<string, string>? environment = null)
    {
        var r = Run(fileName, args, workingDirectory, stdin, environment);
        if (r.ExitCode != 0)
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', args)} exited {r.ExitCode}:\n{r.StdErr}{r.StdOut}");
        return r.StdOut;
    }

    /// <summary>Runs a shell pipeline with bash (for oracles like "nm -n x | sed -f mksysmap").</summary>
    public static string Shell(string script, string? workingDirectory = null) =>
        RunChecked("bash", ["-eo", "pipefail", "-c", script], workingDirectory);
}
