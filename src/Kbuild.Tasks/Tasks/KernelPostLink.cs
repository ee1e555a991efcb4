using Kbuild.KernelTree;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Kernel-tree mode's post-link steps, on the staged (patched, not yet published) image: the kernel's
/// sorttable, and — when the image becomes the build directory's own vmlinux — the arch postlink, whose side
/// outputs (x86: vmlinux.relocs) are renamed into place here, right before the image is. .vmlinux.cmd is removed
/// first, so until <see cref="KernelAdoptVmlinux"/> writes it again a plain make relinks rather than trust a pair
/// an interrupted build may have left half-replaced. A failure leaves the previous vmlinux in place.
/// </summary>
public sealed class KernelPostLink : KbuildTask
{
    [Required] public string KernelBuildDir { get; set; } = "";
    [Required] public string ValuesCache { get; set; } = "";
    /// <summary>The staged image, processed in place.</summary>
    [Required] public string Vmlinux { get; set; } = "";
    /// <summary>Where the image will be published.</summary>
    [Required] public string OutputPath { get; set; } = "";

    protected override void Run()
    {
        var kbuild = KbuildProbe.Load(KernelBuildDir, ValuesCache);
        KernelTree.KernelPostLink.SortTables(kbuild, Vmlinux, Tools);
        if (!KernelTree.KernelPostLink.IsBuildDirVmlinux(kbuild, OutputPath)) return;
        var sideOutputs = KernelTree.KernelPostLink.RunArchPostlink(kbuild, Vmlinux, Tools);
        File.Delete(Path.Combine(kbuild.BuildDir, ".vmlinux.cmd"));
        KernelTree.KernelPostLink.PublishSideOutputs(sideOutputs);
    }
}

/// <summary>
/// After the build directory's vmlinux was published: the .vmlinux.cmd make compares, so a later
/// <c>make bzImage</c> uses this vmlinux without relinking, then the stamp (the target's output), newest.
/// </summary>
public sealed class KernelAdoptVmlinux : KbuildTask
{
    [Required] public string KernelBuildDir { get; set; } = "";
    [Required] public string ValuesCache { get; set; } = "";
    [Required] public string Vmlinux { get; set; } = "";
    /// <summary>Touched with vmlinux so both stay newer than .vmlinux.cmd (nothing in them changes).</summary>
    public string? SystemMap { get; set; }
    [Required] public string Stamp { get; set; } = "";

    protected override void Run()
    {
        var kbuild = KbuildProbe.Load(KernelBuildDir, ValuesCache);
        var adopted = KernelTree.KernelPostLink.IsBuildDirVmlinux(kbuild, Vmlinux);
        File.Delete(Stamp);
        if (adopted) KernelTree.KernelPostLink.WriteSavedCommand(kbuild, Tools);
        var now = DateTime.UtcNow;
        File.SetLastWriteTimeUtc(Vmlinux, now);
        if (SystemMap is { Length: > 0 } map && File.Exists(map)) File.SetLastWriteTimeUtc(map, now);
        File.WriteAllText(Stamp, kbuild.Release + "\n");
        File.SetLastWriteTimeUtc(Stamp, now);  // not the file system's clock, which can lag DateTime.UtcNow
        Log.LogMessage(MessageImportance.High, adopted
            ? $"{Vmlinux}: kernel post-link steps done; make accepts it as its own vmlinux"
            : $"{Vmlinux}: tables sorted (not the build directory's vmlinux, so no arch postlink and no .vmlinux.cmd)");
    }
}
