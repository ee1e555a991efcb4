using Kbuild.IO;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.Linking;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Kbuild.Tasks;

/// <summary>
/// Links vmlinux with ld.bfd or ld.lld (<see cref="LinkerCommand"/>, passed as a response file). The
/// linker writes a temporary file beside <see cref="OutputFile"/>, which is renamed onto it only after
/// the link succeeded: a failed or interrupted link leaves the previous output as it was. Linker
/// messages become MSBuild errors and warnings with the file they blame.
/// </summary>
public sealed class LinkVmlinux : ToolTask
{
    private readonly LinkerOutputParser _parser = new();
    private readonly List<LinkerDiagnostic> _diagnostics = [];
    private string? _temporaryOutput;

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

    [Required] public string OutputFile { get; set; } = "";

    protected override string ToolName => "ld";

    protected override Encoding ResponseFileEncoding => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public override bool Execute()
    {
        _temporaryOutput = AtomicOutput.TempPathFor(OutputFile);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_temporaryOutput)!);
            if (!base.Execute() || Log.HasLoggedErrors) return false;
            AtomicOutput.Commit(_temporaryOutput, OutputFile);
            return true;
        }
        finally
        {
            AtomicOutput.DeleteIfExists(_temporaryOutput);
        }
    }

    protected override bool ValidateParameters()
    {
        var inputs = Objects.Concat(Libraries).Select(i => i.ItemSpec)
            .Append(LinkerScript)
            .Concat(new[] { KallsymsObject, BtfObject }.OfType<string>().Where(o => o.Length > 0));
        foreach (var input in inputs.Where(i => !File.Exists(i)))
            LogError(ErrorCodes.LinkInputMissing, input,
                $"link input '{input}' does not exist. Build it first, or fix the VmlinuxObject/VmlinuxLibrary item or VmlinuxLinkerScript.");
        return !Log.HasLoggedErrors;
    }

    protected override string GenerateFullPathToTool()
    {
        var exe = ToolExe;
        if (exe.Contains('/') && File.Exists(exe)) return Path.GetFullPath(exe);
        if (!exe.Contains('/') && SearchPath(exe) is { } found) return found;
        LogError(ErrorCodes.LinkerNotFound, null,
            $"the linker '{exe}' was not found on PATH. Set Ld to a linker on PATH or to its full path (ld, ld.bfd, ld.lld).");
        return exe;
    }

    protected override string GenerateResponseFileCommands() => Command().ToResponseFile();

    // The response file is already escaped for GNU and LLVM tokenizers.
    protected override string ResponseFileEscape(string responseString) => responseString;

    protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance) =>
        _diagnostics.AddRange(_parser.Feed(singleLine));

    protected override int ExecuteTool(string pathToTool, string responseFileCommands, string commandLineCommands)
    {
        var exitCode = base.ExecuteTool(pathToTool, responseFileCommands, commandLineCommands);
        _diagnostics.AddRange(_parser.Flush());
        // A linker that exits 0 failed nothing, whatever a line looked like.
        foreach (var d in _diagnostics)
            LogDiagnostic(exitCode == 0 && d.Severity == LinkerSeverity.Error ? d with { Severity = LinkerSeverity.Warning } : d);
        return exitCode;
    }

    protected override bool HandleTaskExecutionErrors()
    {
        LogError(ErrorCodes.LinkerFailed, OutputFile,
            $"{ToolExe} exited with code {ExitCode}; see the linker's messages above. {OutputFile} was left as it was.");
        return false;
    }

    private static string? SearchPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, exe))
            .FirstOrDefault(File.Exists);

    private LinkerCommand Command() => new()
    {
        Output = _temporaryOutput!,
        LinkerScript = LinkerScript,
        Objects = Objects.Select(i => i.ItemSpec).ToList(),
        Libraries = Libraries.Select(i => i.ItemSpec).ToList(),
        Flags = FlagsFor(ToolExe, Flags),
        VmlinuxFlags = FlagsFor(ToolExe, VmlinuxFlags),
        KallsymsObject = KallsymsObject is { Length: > 0 } k ? k : null,
        BtfObject = BtfObject is { Length: > 0 } b ? b : null,
    };

    // ld.lld gets the kernel's GNU ld flags minus the ones it rejects, said out loud.
    private IReadOnlyList<string> FlagsFor(string linker, string? flags)
    {
        var split = LinkerCommand.SplitFlags(flags);
        if (!LldFlags.IsLld(linker)) return split;
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
                LogError(ErrorCodes.LinkerError, d.File, d.Message, d.Line);
                break;
            case LinkerSeverity.Warning:
                Log.LogWarning(null, ErrorCodes.LinkerWarning, null, d.File, d.Line, 0, 0, 0, d.Message);
                break;
            default:
                Log.LogMessage(MessageImportance.Normal, d.Message);
                break;
        }
    }

    private void LogError(string code, string? file, string message, int line = 0) =>
        Log.LogError(null, code, null, file, line, 0, 0, 0, message);
}
