using System.Diagnostics;

namespace Kbuild.KernelTree;

/// <summary>Runs a kernel build tool (make, sorttable, fixdep) and collects its output.</summary>
internal static class KernelCommand
{
    public sealed record Result(int ExitCode, string Output)
    {
        /// <summary>The last lines of the output, for an error message.</summary>
        public string Tail(int lines = 25) =>
            string.Join('\n', Output.TrimEnd().Split('\n').TakeLast(lines));
    }

    /// <param name="environment">Replaces the inherited environment entirely when given.</param>
    public static Result Run(string fileName, IEnumerable<string> args, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, string? stdoutFile = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (environment != null)
        {
            psi.Environment.Clear();
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        }
        using var p = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdoutFile != null)
        {
            using var f = File.Create(stdoutFile);
            p.StandardOutput.BaseStream.CopyTo(f);
        }
        else
        {
            output.Append(p.StandardOutput.ReadToEnd());
        }
        p.WaitForExit();
        output.Append(stderr.Result);
        return new Result(p.ExitCode, output.ToString());
    }
}
