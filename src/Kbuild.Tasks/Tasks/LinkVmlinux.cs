using Kbuild.Diagnostics;
using Kbuild.Image;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Links vmlinux with ld.bfd or ld.lld (<see cref="VmlinuxLinker"/>): the previous output stays until the link
/// succeeded. Linker messages become MSBuild errors and warnings with the file they blame. The inputs were checked
/// by KbuildPrepareForLink (KB0504); one missing now is the linker's error.
/// </summary>
public sealed class LinkVmlinux : KbuildTask
{
    /// <summary>Objects and whole archives, in link order (vmlinux.a, init/version-timestamp.o, …).</summary>
    [Required] public ITaskItem[] Objects { get; set; } = [];

    /// <summary>Libraries linked inside --start-group/--end-group.</summary>
    public ITaskItem[] Libraries { get; set; } = [];

    /// <summary>The linker script; empty for a relocatable link (<c>-r</c> in <see cref="VmlinuxFlags"/>).</summary>
    public string? LinkerScript { get; set; }

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
        var linker = new VmlinuxLinker
        {
            Ld = Ld,
            Tools = Tools,
            OnCommand = text => Log.LogCommandLine(MessageImportance.Low, text),
            OnDiagnostic = LogDiagnostic,
            OnDroppedFlags = dropped => Log.LogMessage(MessageImportance.High,
                $"{Ld}: dropped GNU ld-only flags {string.Join(" ", dropped)} (ld.lld rejects them; they only select GNU ld warnings)"),
        };
        linker.Link(new LinkerCommand
        {
            Output = OutputFile,
            LinkerScript = LinkerScript is { Length: > 0 } script ? script : null,
            Objects = Objects.Select(i => i.ItemSpec).ToList(),
            Libraries = Libraries.Select(i => i.ItemSpec).ToList(),
            Flags = linker.FlagsFor(Flags),
            VmlinuxFlags = linker.FlagsFor(VmlinuxFlags),
            KallsymsObject = KallsymsObject is { Length: > 0 } k ? k : null,
            BtfObject = BtfObject is { Length: > 0 } b ? b : null,
        }, OutputFile);
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
