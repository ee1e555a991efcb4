using Kbuild.IO;
using Kbuild.Diagnostics;
using Kbuild.Linking;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Links vmlinux with ld.bfd or ld.lld (<see cref="LinkerCommand"/>, passed as a response file this task
/// writes itself, so no path or flag is re-escaped on the way). The linker writes a temporary file beside
/// <see cref="OutputFile"/>, which is renamed onto it only after the link succeeded: a failed, cancelled or
/// interrupted link leaves the previous output as it was. Linker messages become MSBuild errors and warnings
/// with the file they blame.
/// </summary>
public sealed class LinkVmlinux : KbuildTask
{
    /// <summary>Objects and whole archives, in link order (vmlinux.a, init/version-timestamp.o, …).</summary>
    [Required] public ITaskItem[] Objects { get; set; } = [];

    /// <summary>Libraries linked inside --start-group/--end-group.</summary>
    public ITaskItem[] Libraries { get; set; } = [];

    [Required] public string LinkerScript { get; set; } = "";

    /// <summary>KBUILD_LDFLAGS as one string (split like the shell would).</summary>
    public string? Flags { get; set; }

    /// <summary>LDFLAGS_vmlinux as one string.</summary>
    public string? VmlinuxFlags { get; set; }

    /// <summary>The kallsyms object linked last (the reservation).</summary>
    public string? KallsymsObject { get; set; }

    /// <summary>The .BTF object, linked after the kallsyms object.</summary>
    public string? BtfObject { get; set; }

    /// <summary>The linker: a name looked up on PATH or a path (ld, ld.bfd, ld.lld, a cross linker).</summary>
    [Required] public string Ld { get; set; } = "";

    [Required] public string OutputFile { get; set; } = "";

    protected override void Run()
    {
        var inputs = Objects.Concat(Libraries).Select(i => i.ItemSpec).Append(LinkerScript)
            .Concat(new[] { KallsymsObject, BtfObject }.OfType<string>().Where(o => o.Length > 0));
        foreach (var input in inputs.Where(i => !File.Exists(i)))
            throw new KbuildException(ErrorCodes.LinkInputMissing, input,
                $"link input '{input}' does not exist. Build it first, or fix the VmlinuxObject/VmlinuxLibrary item or VmlinuxLinkerScript.");
        var linker = FindLinker();
        AtomicOutput.Write(OutputFile, temp =>
        {
            var responseFile = temp + ".rsp";
            try
            {
                var responseText = Command(temp).ToResponseFile();
                File.WriteAllText(responseFile, responseText);
                // As ToolTask does: the command and the response file's lines, for -v:d and binary logs.
                Log.LogCommandLine(MessageImportance.Low, $"{linker} @{responseFile}\n{responseText}");
                var parser = new LinkerOutputParser();
                var diagnostics = new List<LinkerDiagnostic>();
                var tools = Tools with { OnLine = (line, _) => diagnostics.AddRange(parser.Feed(line)) };
                var result = tools.Run(linker, ["@" + responseFile]);
                diagnostics.AddRange(parser.Flush());
                // A linker that exits 0 failed nothing, whatever a line looked like.
                foreach (var d in diagnostics)
                    LogDiagnostic(result.ExitCode == 0 && d.Severity == LinkerSeverity.Error ? d with { Severity = LinkerSeverity.Warning } : d);
                if (result.ExitCode != 0)
                    throw new KbuildException(ErrorCodes.LinkerFailed, OutputFile,
                        $"{Ld} exited with code {result.ExitCode}; see the linker's messages above. {OutputFile} was left as it was.");
            }
            finally
            {
                AtomicOutput.DeleteIfExists(responseFile);
            }
        });
    }

    private string FindLinker()
    {
        if (Ld.Contains('/') && File.Exists(Ld)) return Path.GetFullPath(Ld);
        if (!Ld.Contains('/') && SearchPath(Ld) is { } found) return found;
        throw new KbuildException(ErrorCodes.LinkerNotFound, null,
            $"the linker '{Ld}' was not found{(Ld.Contains('/') ? "" : " on PATH")} ({ToolProcess.PackageHint(Path.GetFileName(Ld))}). " +
            "Set Ld to a linker on PATH or to its full path (ld, ld.bfd, ld.lld).");
    }

    private static string? SearchPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, exe))
            .FirstOrDefault(File.Exists);

    private LinkerCommand Command(string output) => new()
    {
        Output = output,
        LinkerScript = LinkerScript,
        Objects = Objects.Select(i => i.ItemSpec).ToList(),
        Libraries = Libraries.Select(i => i.ItemSpec).ToList(),
        Flags = FlagsFor(Ld, Flags),
        VmlinuxFlags = FlagsFor(Ld, VmlinuxFlags),
        KallsymsObject = KallsymsObject is { Length: > 0 } k ? k : null,
        BtfObject = BtfObject is { Length: > 0 } b ? b : null,
    };

    // ld.lld gets the kernel's GNU ld flags minus the ones it rejects, said out loud.
    private IReadOnlyList<string> FlagsFor(string linker, string? flags)
    {
        var split = LinkerCommand.SplitFlags(flags);
        if (!LldFlags.IsLld(Path.GetFileName(linker))) return split;
        var (kept, dropped) = LldFlags.ForLld(split);
        if (dropped.Count > 0)
            Log.LogMessage(MessageImportance.High, $"{linker}: dropped GNU ld-only flags {string.Join(" ", dropped)} (ld.lld rejects them; they only select GNU ld warnings)");
        return kept;
    }

    private void LogDiagnostic(LinkerDiagnostic d)
    {
        switch (d.Severity)
        {
            case LinkerSeverity.Error:
                Log.LogError(null, ErrorCodes.LinkerError, null, d.File, d.Line, 0, 0, 0, d.Message);
                break;
            case LinkerSeverity.Warning:
                Log.LogWarning(null, ErrorCodes.LinkerWarning, null, d.File, d.Line, 0, 0, 0, d.Message);
                break;
            default:
                Log.LogMessage(MessageImportance.Normal, d.Message);
                break;
        }
    }
}
