using Kbuild.KernelTree;
using Kbuild.Table;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Kbuild.Kernel;

namespace Kbuild.Tasks;

/// <summary>
/// Kernel-tree mode's first step: runs the kernel's make in KernelBuildDir up to the vmlinux link
/// (<see cref="KernelTreeProbe.Capture"/>) — or, with RunMake false, loads the settings the last run saved —
/// and returns how the kernel links vmlinux, in the SDK's property and item names.
/// </summary>
public sealed class ProbeKernelTree : KbuildTask
{
    [Required] public string KernelBuildDir { get; set; } = "";
    public bool RunMake { get; set; } = true;

    /// <summary>Extra make arguments (e.g. "LLVM=1"), split like a shell would.</summary>
    public string? MakeArguments { get; set; }
    public int MakeJobs { get; set; }

    /// <summary>Where the captured settings are kept between builds.</summary>
    [Required] public string ValuesCache { get; set; } = "";

    [Output] public string KernelVersion { get; private set; } = "";
    [Output] public string KernelRelease { get; private set; } = "";
    [Output] public bool KallsymsEnabled { get; private set; }
    [Output] public bool KallsymsAllSymbols { get; private set; }
    [Output] public bool KallsymsAbsolutePercpu { get; private set; }
    [Output] public bool KallsymsBaseRelative { get; private set; }
    /// <summary>--pc-relative: 7.x's link-vmlinux.sh passes it with CONFIG_64BIT or CONFIG_RELOCATABLE.</summary>
    [Output] public bool KallsymsPcRelative { get; private set; }
    /// <summary>--lto-clang: 6.1's link-vmlinux.sh passes it with CONFIG_LTO_CLANG (6.12 has no such switch).</summary>
    [Output] public bool KallsymsLtoClang { get; private set; }
    /// <summary>CONFIG_DEBUG_INFO_BTF: the link includes a .BTF object (KbuildBtf) and resolve_btfids runs after it.</summary>
    [Output] public bool DebugInfoBtf { get; private set; }
    [Output] public string Ld { get; private set; } = "";
    [Output] public string LdFlags { get; private set; } = "";
    [Output] public string LdFlagsVmlinux { get; private set; } = "";
    [Output] public string LinkerScript { get; private set; } = "";
    [Output] public string Cc { get; private set; } = "";
    [Output] public string KallsymsAFlags { get; private set; } = "";
    /// <summary>The file name link-vmlinux.sh gives the kallsyms object of vmlinux (GNU ld names it in .symtab).</summary>
    [Output] public string KallsymsObjectName { get; private set; } = "";
    /// <summary>What the link writes in the build directory: vmlinux, or vmlinux.unstripped (7.x).</summary>
    [Output] public string LinkedImage { get; private set; } = "";
    /// <summary>What the kernel's make derives from the linked image in the build directory (7.x: vmlinux,
    /// modules.builtin.modinfo, modules.builtin).</summary>
    [Output] public ITaskItem[] DerivedOutputs { get; private set; } = [];
    /// <summary>The BTF step also resolves .BTF_ids, which resolve_btfids --patch_btfids writes into the final image (7.x).</summary>
    [Output] public bool BtfIdsWithBtf { get; private set; }
    [Output] public ITaskItem[] Objects { get; private set; } = [];
    [Output] public ITaskItem[] Libraries { get; private set; } = [];

    protected override void Run()
    {
        var kbuild = RunMake
            ? KernelTreeProbe.Capture(KernelBuildDir, ShellWords.CommandLine(MakeArguments), MakeJobs, saveTo: ValuesCache, tools: Tools)
            : KernelTreeProbe.Load(KernelBuildDir, ValuesCache);

        KernelVersion = kbuild.Version.ToString();
        KernelRelease = kbuild.Release.Release;
        KallsymsEnabled = kbuild.KallsymsEnabled;
        var switches = kbuild.KallsymsSwitches;
        (KallsymsAllSymbols, KallsymsAbsolutePercpu, KallsymsBaseRelative, KallsymsPcRelative, KallsymsLtoClang) =
            (switches.AllSymbols, switches.AbsolutePercpu, switches.BaseRelative, switches.PcRelative, switches.LtoClang);
        DebugInfoBtf = KernelBtf.Enabled(kbuild);
        Ld = kbuild.Linker;
        LdFlags = kbuild.KbuildLdflags;
        LdFlagsVmlinux = kbuild.VmlinuxFlags;
        LinkerScript = kbuild.LinkerScript;
        Cc = kbuild.Compiler;
        KallsymsAFlags = string.Join(' ', kbuild.AssemblerFlags);
        KallsymsObjectName = kbuild.Series.Link.FinalKallsymsObjectName;
        LinkedImage = kbuild.LinkedImage;
        DerivedOutputs = kbuild.Series.Link.DerivedOutputs.Select(d => (ITaskItem)new TaskItem(d.Name)).ToArray();
        BtfIdsWithBtf = kbuild.Series.Link.BtfScript != null;
        Objects = kbuild.WholeArchiveInputs.Select(p => (ITaskItem)new TaskItem(p)).ToArray();
        Libraries = kbuild.Libraries.Select(p => (ITaskItem)new TaskItem(p)).ToArray();
        Log.LogMessage(MessageImportance.High, $"kernel {KernelRelease} in {kbuild.BuildDir}: {Ld}, {Objects.Length} objects, " +
            $"{Libraries.Length} libraries, kallsyms {(KallsymsEnabled ? string.Join(' ', kbuild.KallsymsOptions) : "off")}" +
            (RunMake && !kbuild.MakeWouldRelink ? " (make: vmlinux is up to date)" : ""));
    }
}
