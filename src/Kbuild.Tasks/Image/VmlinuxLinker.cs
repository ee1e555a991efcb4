using Kbuild.Diagnostics;
using Kbuild.IO;
using Kbuild.Kernel;
using Kbuild.Inputs;

namespace Kbuild.Image;

/// <summary>
/// Runs the vmlinux link: finds the linker, adapts the kernel's flags to it (ld.lld gets the GNU ld flags minus the
/// ones it rejects, <see cref="LldFlags"/>), passes the command as a response file written here (so no path or flag
/// is re-escaped on the way), and lets the linker write a temporary file beside the output that is renamed onto it
/// only after the link succeeded: a failed, cancelled or interrupted link leaves the previous output as it was.
/// </summary>
public sealed class VmlinuxLinker
{
    /// <summary>The linker as given: a name looked up on PATH or a path (ld, ld.bfd, ld.lld, a cross linker).</summary>
    public required string Ld { get; init; }

    public required ToolProcess Tools { get; init; }

    /// <summary>The command and the response file's text, before the linker runs (for -v:d and binary logs).</summary>
    public Action<string> OnCommand { get; init; } = _ => { };

    /// <summary>Each linker message, parsed. A linker that exits 0 failed nothing, so its "errors" arrive as warnings; one
    /// that fails printed why, so its lines without a severity (GNU ld's "`x' referenced in section … of a.o: defined in
    /// discarded section …") arrive as errors, which a build shows at any verbosity.</summary>
    public Action<LinkerDiagnostic> OnDiagnostic { get; init; } = _ => { };

    /// <summary>Flags the linker does not take, dropped from the command: the flags, and why.</summary>
    public Action<IReadOnlyList<string>> OnDroppedFlags { get; init; } = _ => { };

    /// <summary>KBUILD_LDFLAGS or LDFLAGS_vmlinux as the linker takes them (split like the shell would).</summary>
    public IReadOnlyList<string> FlagsFor(string? flags)
    {
        var split = ShellWords.CommandLine(flags);
        if (!LldFlags.IsLld(Ld)) return split;
        var (kept, dropped) = LldFlags.ForLld(split);
        if (dropped.Count > 0) OnDroppedFlags(dropped);
        return kept;
    }

    /// <summary>Links <paramref name="command"/> (its Output is replaced by the temporary file) onto <paramref name="outputFile"/>.</summary>
    public void Link(LinkerCommand command, string outputFile)
    {
        var linker = Find(Ld);
        AtomicOutput.Write(outputFile, temp =>
        {
            var responseFile = temp + ".rsp";
            try
            {
                var responseText = (command with { Output = temp }).ToResponseFile();
                File.WriteAllText(responseFile, responseText);
                OnCommand($"{linker} @{responseFile}\n{responseText}");
                var parser = new LinkerOutputParser();
                var diagnostics = new List<LinkerDiagnostic>();
                var result = (Tools with { OnLine = (line, _) => diagnostics.AddRange(parser.Feed(line)) }).Run(linker, ["@" + responseFile]);
                diagnostics.AddRange(parser.Flush());
                foreach (var d in diagnostics)
                    OnDiagnostic(d.Severity switch
                    {
                        LinkerSeverity.Error when result.ExitCode == 0 => d with { Severity = LinkerSeverity.Warning },
                        LinkerSeverity.Message when result.ExitCode != 0 => d with { Severity = LinkerSeverity.Error },
                        _ => d,
                    });
                if (result.ExitCode != 0)
                    throw new KbuildException(ErrorCodes.LinkerFailed, outputFile,
                        $"{Ld} exited with code {result.ExitCode}; " + (diagnostics.Count > 0 ? "see the linker's messages above" : "it printed nothing") +
                        $". {outputFile} was left as it was.");
            }
            finally
            {
                AtomicOutput.DeleteIfExists(responseFile);
            }
        });
    }

    /// <summary>The linker's full path: <paramref name="ld"/> itself when it is a path, else the first on PATH.</summary>
    public static string Find(string ld)
    {
        if (ld.Contains('/') && File.Exists(ld)) return Path.GetFullPath(ld);
        if (!ld.Contains('/') && SearchPath(ld) is { } found) return found;
        throw new KbuildException(ErrorCodes.LinkerNotFound, null,
            $"the linker '{ld}' was not found{(ld.Contains('/') ? "" : " on PATH")} ({ToolProcess.PackageHint(Path.GetFileName(ld))}). " +
            "Set Ld to a linker on PATH or to its full path (ld, ld.bfd, ld.lld).");
    }

    private static string? SearchPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, exe))
            .FirstOrDefault(File.Exists);
}
