using Kbuild.Kernel;
using Kbuild.Diagnostics;
using Kbuild.Table;

namespace Kbuild.KernelTree;

/// <summary>
/// The rules a kernel build directory's table was made under — its version and the scripts/kallsyms switches its
/// link-vmlinux.sh passes for its configuration — read from the directory alone, without running make
/// (include/config/kernel.release, include/config/auto.conf, scripts/link-vmlinux.sh).
/// </summary>
public static class KernelKallsymsRules
{
    public static bool IsConfiguredBuildDir(string? dir) =>
        !string.IsNullOrEmpty(dir) && File.Exists(KernelConfig.AutoConfPath(dir));

    public static (KernelVersion Version, KallsymsOptions Options) Read(string buildDir)
    {
        var config = KernelConfig.Load(buildDir);
        var version = KernelRelease.Read(buildDir).EnsureSupported(buildDir).Version;
        var linkScript = Path.Combine(KernelSourceTree.Of(buildDir), "scripts", "link-vmlinux.sh");
        if (!File.Exists(linkScript))
            throw new KbuildException(ErrorCodes.KernelLinkScriptMissing, buildDir,
                $"'{buildDir}' has neither source/scripts/link-vmlinux.sh nor scripts/link-vmlinux.sh, so the kallsyms switches of " +
                "its kernel are unknown: point KernelBuildDir at the kernel's build directory (its 'source' link intact), or clear it and " +
                "set KernelVersion and the Kallsyms* properties yourself.");
        return (version, KallsymsOptions.FromSwitches(KernelTreeValues.KallsymsOptionsOf(config, linkScript), KernelSeries.For(version).Kallsyms));
    }

    /// <summary>
    /// The rules for a vmlinux: those of the configured build directory it lies in, else those of the project's
    /// <paramref name="kernelBuildDir"/> (kernel-tree mode), else the given ones (the project's properties).
    /// </summary>
    public static (KernelVersion Version, KallsymsOptions Options, string Source) For(string vmlinux, string? kernelBuildDir,
        KernelVersion version, KallsymsOptions options)
    {
        foreach (var dir in new[] { Path.GetDirectoryName(Path.GetFullPath(vmlinux)), kernelBuildDir })
            if (IsConfiguredBuildDir(dir))
            {
                var (v, o) = Read(dir!);
                return (v, o, dir!);
            }
        return (version, options, "the project's KernelVersion and Kallsyms* properties");
    }
}
