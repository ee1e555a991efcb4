using Kbuild.KernelTree;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Kernel-tree mode's last step, on the patched vmlinux: the kernel's sorttable, and — when the image is
/// the build directory's own vmlinux — the arch postlink and the .vmlinux.cmd make compares, so a later
/// <c>make bzImage</c> uses this vmlinux without relinking. An interrupted or failed run leaves no
/// half-processed vmlinux behind: it is marked stale first (the next build patches it afresh) and
/// deleted on failure, as make deletes a target whose recipe failed.
/// </summary>
public sealed class KernelPostLink : KbuildTask
{
    [Required] public string KernelBuildDir { get; set; } = "";
    [Required] public string ValuesCache { get; set; } = "";
    [Required] public string Vmlinux { get; set; } = "";
    /// <summary>Touched after vmlinux so its timestamp stays newer (nothing in it changes).</summary>
    public string? SystemMap { get; set; }
    /// <summary>Written last: the target's output.</summary>
    [Required] public string Stamp { get; set; } = "";

    protected override void Run()
    {
        var kbuild = KbuildProbe.Load(KernelBuildDir, ValuesCache);
        var vmlinux = Path.GetFullPath(Vmlinux);
        var adopted = vmlinux == Path.Combine(kbuild.BuildDir, "vmlinux");
        File.Delete(Stamp);
        File.SetLastWriteTimeUtc(vmlinux, DateTime.UnixEpoch);
        try
        {
            KernelTree.KernelPostLink.SortTables(kbuild, vmlinux);
            if (adopted)
            {
                KernelTree.KernelPostLink.RunArchPostlink(kbuild);
                KernelTree.KernelPostLink.WriteSavedCommand(kbuild);
            }
        }
        catch
        {
            File.Delete(vmlinux);
            throw;
        }
        var now = DateTime.UtcNow;
        File.SetLastWriteTimeUtc(vmlinux, now);
        if (SystemMap is { Length: > 0 } map && File.Exists(map)) File.SetLastWriteTimeUtc(map, now);
        File.WriteAllText(Stamp, kbuild.Release + "\n");
        File.SetLastWriteTimeUtc(Stamp, now);  // not the file system's clock, which can lag DateTime.UtcNow
        Log.LogMessage(MessageImportance.High, adopted
            ? $"{vmlinux}: kernel post-link steps done; make accepts it as its own vmlinux"
            : $"{vmlinux}: tables sorted (not the build directory's vmlinux, so no arch postlink and no .vmlinux.cmd)");
    }
}
