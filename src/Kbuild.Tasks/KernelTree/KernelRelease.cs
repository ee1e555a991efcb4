using Kbuild.Kernel;
using System.Text.RegularExpressions;
using Kbuild.Diagnostics;

namespace Kbuild.KernelTree;

/// <summary>What a kernel build directory builds: <c>include/config/kernel.release</c> (e.g.
/// "6.1.192-custom"), or the source Makefile's VERSION/PATCHLEVEL/SUBLEVEL before make wrote it.</summary>
public sealed partial record KernelRelease(KernelVersion Version, string Release)
{
    public override string ToString() => Release;

    /// <summary>True when this SDK knows the series (<see cref="KernelSeries.TryFor"/>).</summary>
    public bool IsSupported => KernelSeries.TryFor(Version) is not null;

    /// <summary>The release's series; <see cref="EnsureSupported"/> first.</summary>
    public KernelSeries Series => KernelSeries.For(Version);

    public static KernelRelease Read(string buildDir)
    {
        var release = Path.Combine(buildDir, "include", "config", "kernel.release");
        if (File.Exists(release) && KernelVersion.TryParse(File.ReadAllText(release).Trim(), out var v))
            return new KernelRelease(v, File.ReadAllText(release).Trim());
        foreach (var makefile in new[] { Path.Combine(buildDir, "source", "Makefile"), Path.Combine(buildDir, "Makefile") })
            if (File.Exists(makefile) && FromMakefile(File.ReadAllText(makefile)) is { } m) return m;
        throw new KbuildException(ErrorCodes.KernelBuildDirNotConfigured, buildDir,
            $"cannot tell the kernel version of '{buildDir}' (no include/config/kernel.release and no kernel Makefile): " +
            "set KernelBuildDir to a kernel build directory where make has run.");
    }

    /// <summary>Throws <see cref="ErrorCodes.UnsupportedKernelVersion"/> unless the series is supported.</summary>
    public KernelRelease EnsureSupported(string buildDir)
    {
        if (IsSupported) return this;
        throw new KbuildException(ErrorCodes.UnsupportedKernelVersion, buildDir,
            $"kernel {Release} in '{buildDir}' is not supported (supported series: {KernelSeries.SupportedNames}); " +
            "build with the kernel's own link (scripts/link-vmlinux.sh) or use a supported kernel.");
    }

    private static KernelRelease? FromMakefile(string makefile)
    {
        string? Get(string name) => Regex.Match(makefile, $@"^{name}\s*=\s*(\d+)\s*$", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value : null;
        if (Get("VERSION") is not { } v || Get("PATCHLEVEL") is not { } p) return null;
        var release = $"{v}.{p}.{Get("SUBLEVEL") ?? "0"}";
        return new KernelRelease(KernelVersion.Parse(release), release);
    }
}
