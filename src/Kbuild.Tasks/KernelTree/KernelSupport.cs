using Kbuild.Kernel;
using Kbuild.Diagnostics;

namespace Kbuild.KernelTree;

/// <summary>
/// Which kernels kernel-tree mode links the way their own make would. Every option scripts/link-vmlinux.sh,
/// scripts/Makefile.vmlinux(_o) and the arch Makefile.postlink act on is either reproduced (and tested; docs/kernels.md
/// says where) or listed in the series' <see cref="KernelSeries.Refused"/>: a kernel with such an option stops with an
/// error naming it before make runs, instead of getting a vmlinux that differs from make's.
/// </summary>
public static class KernelSupport
{
    // Architecture symbols of auto.conf, to name what a kernel is built for.
    private static readonly string[] ArchitectureOptions =
        ["UML", "ARM64", "ARM", "X86_32", "RISCV", "PPC", "S390", "MIPS", "LOONGARCH", "SPARC", "PARISC", "ALPHA", "M68K", "SUPERH", "XTENSA", "ARC", "CSKY", "HEXAGON", "MICROBLAZE", "NIOS2", "OPENRISC"];

    /// <summary>Throws unless kernel-tree mode links this configuration exactly as the kernel's make would: an
    /// architecture of its series' <see cref="KernelSeries.Architectures"/>, none of its <see cref="KernelSeries.Refused"/>.</summary>
    public static void EnsureLinkable(KernelConfig config, KernelSeries series, string buildDir)
    {
        if (config.IsEnabled("UML"))
            throw new KbuildException(ErrorCodes.UnsupportedKernelArchitecture, config.Path,
                $"'{buildDir}' is a User-mode Linux kernel (ARCH=um, CONFIG_UML=y), which links vmlinux with the C compiler, " +
                "not ld: build it with the kernel's own link (make vmlinux).");
        if (!series.Architectures.Any(config.IsEnabled))
        {
            var arch = ArchitectureOptions.FirstOrDefault(config.IsEnabled) is { } a ? $"CONFIG_{a}=y" : "no CONFIG_X86_64=y";
            var tested = string.Join("; ", KernelSeries.Supported.Select(s =>
                $"{s.Name}: {string.Join(", ", s.Architectures.Select(t => t.ToLowerInvariant().Replace('_', '-')))}"));
            throw new KbuildException(ErrorCodes.UnsupportedKernelArchitecture, config.Path,
                $"'{buildDir}' is a {series.Name} kernel for an architecture kernel-tree mode does not link on {series.Name} ({arch} in {config.Path}); " +
                $"it is tested on {tested} only, so others (their post-link steps, -pie relocations) are refused: " +
                "build it with the kernel's own link (make vmlinux).");
        }
        var refused = series.Refused.Where(r => config.IsEnabled(r.Option)).ToList();
        if (refused.Count > 0)
            throw new KbuildException(ErrorCodes.KernelOptionUnsupported, config.Path,
                $"'{buildDir}' has {string.Join(", ", refused.Select(r => r.Option + "=y"))}, which kernel-tree mode does not support yet on {series.Name}: " +
                string.Join(" ", refused.Select(r => $"With {r.Option} the kernel's link {r.KernelDoes}; refused because {r.Why}.")) +
                " Build this kernel with its own link (make vmlinux), or turn the option off (scripts/config --file .config " +
                string.Join(" ", refused.Select(r => "-d " + r.Option["CONFIG_".Length..])) + "; make olddefconfig).");
    }
}
