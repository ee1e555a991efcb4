using Kbuild.Kernel;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Table;
using Kbuild.KernelTree;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Base of the inspection tasks: a vmlinux (any, also one make linked) and the rules its table was made under —
/// its build directory's, else the project's (<see cref="KernelKallsymsRules.For"/>).
/// </summary>
public abstract class InspectKallsymsTask : KallsymsTask
{
    [Required] public string Vmlinux { get; set; } = "";

    /// <summary>The project's kernel build directory (kernel-tree mode), if any.</summary>
    public string? KernelBuildDir { get; set; }

    protected (KernelVersion Version, KallsymsOptions Options, string Source) VmlinuxRules =>
        KernelKallsymsRules.For(Vmlinux, KernelBuildDir, Kernel.KernelVersion.Parse(KernelVersion), Options);

    protected ElfImage OpenVmlinux() => ElfImage.Open(Vmlinux);
}

/// <summary>KallsymsDump: the decoded table in /proc/kallsyms format, to the log or to OutputFile.</summary>
public sealed class DumpKallsyms : InspectKallsymsTask
{
    public string? OutputFile { get; set; }

    protected override void Run()
    {
        string text;
        using (var image = OpenVmlinux())
            text = KallsymsInspection.ProcKallsyms(image, VmlinuxRules.Options.AbsolutePercpu);
        var lines = text.Count(c => c == '\n');
        if (string.IsNullOrEmpty(OutputFile))
        {
            Log.LogMessage(MessageImportance.High, text.TrimEnd('\n'));
            return;
        }
        KallsymsInspection.WriteFile(OutputFile, text);
        Log.LogMessage(MessageImportance.High, $"kallsyms: {lines} symbols of {Vmlinux} written to {OutputFile}");
    }
}

/// <summary>KallsymsVerify: the image's table against the one its own symbols call for; an error names the first difference.</summary>
public sealed class VerifyKallsyms : InspectKallsymsTask
{
    protected override void Run()
    {
        var (version, options, source) = VmlinuxRules;
        var rules = $"Linux {version.Major}.{version.Minor} rules{Switches(options)} (from {source})";
        using var image = OpenVmlinux();
        var (count, difference) = KallsymsInspection.Verify(image, version, options);
        if (difference != null)
            throw new KbuildException(ErrorCodes.KallsymsTableMismatch, Vmlinux,
                $"the kallsyms table does not match the image's own symbols under {rules}: {difference.Describe()}. " +
                "The image was linked or patched wrongly, or the switches are not the ones it was built with.");
        Log.LogMessage(MessageImportance.High, $"kallsyms: {Vmlinux}: table matches its {count} symbols under {rules}");
    }

    private static string Switches(KallsymsOptions o) =>
        (o.AllSymbols ? " --all-symbols" : "") + (o.AbsolutePercpu ? " --absolute-percpu" : "") + (o.PcRelative ? " --pc-relative" : "") +
        (o.BaseRelative ? " --base-relative" : "") + (o.LtoClang ? " --lto-clang" : "");
}
