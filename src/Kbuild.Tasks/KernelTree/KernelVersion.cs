using System.Text.RegularExpressions;
using Kbuild.Diagnostics;

namespace Kbuild.KernelTree;

/// <summary>The version of the kernel a build directory builds: <c>include/config/kernel.release</c>
/// (e.g. "6.1.192-custom"), or the source Makefile's VERSION/PATCHLEVEL/SUBLEVEL before make wrote it.</summary>
public sealed partial record KernelVersion(int Major, int Minor, int Patch, string Release)
{
    /// <summary>Kernel series whose kallsyms table format and link script are supported; each needs a
    /// kallsyms layout (array order, encodings) — add the series there and here together.</summary>
    public static IReadOnlyList<(int Major, int Minor)> SupportedSeries { get; } = [(6, 1), (6, 12)];

    public bool IsSupported => SupportedSeries.Contains((Major, Minor));

    public override string ToString() => Release;

    public static KernelVersion Read(string buildDir)
    {
        var release = Path.Combine(buildDir, "include", "config", "kernel.release");
        if (File.Exists(release) && TryParse(File.ReadAllText(release).Trim()) is { } v) return v;
        foreach (var makefile in new[] { Path.Combine(buildDir, "source", "Makefile"), Path.Combine(buildDir, "Makefile") })
            if (File.Exists(makefile) && FromMakefile(File.ReadAllText(makefile)) is { } m) return m;
        throw new KbuildException(ErrorCodes.KernelBuildDirNotConfigured, buildDir,
            $"cannot tell the kernel version of '{buildDir}' (no include/config/kernel.release and no kernel Makefile): " +
            "set KernelBuildDir to a kernel build directory where make has run.");
    }

    /// <summary>Throws <see cref="ErrorCodes.UnsupportedKernelVersion"/> unless the series is supported.</summary>
    public KernelVersion EnsureSupported(string buildDir)
    {
        if (IsSupported) return this;
        var supported = string.Join(", ", SupportedSeries.Select(s => $"{s.Major}.{s.Minor}"));
        throw new KbuildException(ErrorCodes.UnsupportedKernelVersion, buildDir,
            $"kernel {Release} in '{buildDir}' is not supported (supported series: {supported}); " +
            "build with the kernel's own link (scripts/link-vmlinux.sh) or use a supported kernel.");
    }

    public static KernelVersion? TryParse(string release) =>
        ReleasePattern().Match(release) is { Success: true } m
            ? new KernelVersion(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value),
                m.Groups[3].Success ? int.Parse(m.Groups[3].Value) : 0, release)
            : null;

    private static KernelVersion? FromMakefile(string makefile)
    {
        string? Get(string name) => Regex.Match(makefile, $@"^{name}\s*=\s*(\d+)\s*$", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value : null;
        if (Get("VERSION") is not { } v || Get("PATCHLEVEL") is not { } p) return null;
        var s = Get("SUBLEVEL") ?? "0";
        return new KernelVersion(int.Parse(v), int.Parse(p), int.Parse(s), $"{v}.{p}.{s}");
    }

    [GeneratedRegex(@"^(\d+)\.(\d+)(?:\.(\d+))?")]
    private static partial Regex ReleasePattern();
}
