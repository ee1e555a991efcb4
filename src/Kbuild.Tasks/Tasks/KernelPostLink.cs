using Kbuild.KernelTree;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Kernel-tree mode's post-link steps on the staged image (<see cref="KernelPostLinkSteps.RunOnStaged"/>): the
/// kernel's sorttable, and for the build directory's own vmlinux the arch postlink. A failure leaves the previous
/// vmlinux in place.
/// </summary>
public sealed class KernelPostLink : KbuildTask
{
    [Required] public string KernelBuildDir { get; set; } = "";
    [Required] public string ValuesCache { get; set; } = "";
    /// <summary>The staged image, processed in place.</summary>
    [Required] public string Vmlinux { get; set; } = "";
    /// <summary>Where the image will be published.</summary>
    [Required] public string OutputPath { get; set; } = "";

    protected override void Run() =>
        KernelPostLinkSteps.RunOnStaged(KernelTreeProbe.Load(KernelBuildDir, ValuesCache), Vmlinux, OutputPath, Tools);
}

/// <summary>
/// After vmlinux was published: <see cref="KernelPostLinkSteps.Adopt"/> (the .vmlinux.cmd make compares, so a later
/// <c>make bzImage</c> uses this vmlinux without relinking), then the stamp (the target's output), newest.
/// </summary>
public sealed class KernelAdoptVmlinux : KbuildTask
{
    [Required] public string KernelBuildDir { get; set; } = "";
    [Required] public string ValuesCache { get; set; } = "";
    [Required] public string Vmlinux { get; set; } = "";
    /// <summary>Touched with vmlinux so both stay newer than .vmlinux.cmd (nothing in them changes).</summary>
    public string? SystemMap { get; set; }
    [Required] public string Stamp { get; set; } = "";
    /// <summary>The stamps that say vmlinux and System.map are as the build published them: touched with them, since
    /// touching them here changes nothing in them.</summary>
    public ITaskItem[] PublishedStamps { get; set; } = [];

    protected override void Run()
    {
        var adopted = KernelPostLinkSteps.Adopt(KernelTreeProbe.Load(KernelBuildDir, ValuesCache), Vmlinux, SystemMap, Stamp,
            PublishedStamps.Select(s => s.ItemSpec).ToList(), Tools);
        Log.LogMessage(MessageImportance.Normal, adopted
            ? $"{Vmlinux}: kernel post-link steps done; make accepts it as its own vmlinux"
            : $"{Vmlinux}: tables sorted (not the build directory's vmlinux, so no arch postlink and no .vmlinux.cmd)");
    }
}
