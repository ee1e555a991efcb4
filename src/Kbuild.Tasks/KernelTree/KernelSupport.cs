using Kbuild.Diagnostics;
using Kbuild.Table;

namespace Kbuild.KernelTree;

/// <summary>
/// Which kernels kernel-tree mode links the way their own make would. Every option scripts/link-vmlinux.sh,
/// scripts/Makefile.vmlinux(_o) and the arch Makefile.postlink of 6.1 and 6.12 act on is either reproduced
/// (and tested; docs/kernels.md says where) or listed in <see cref="Refused"/>: a kernel with such an option
/// stops with an error naming it before make runs, instead of getting a vmlinux that differs from make's.
/// </summary>
public static class KernelSupport
{
    /// <summary>An option the kernel's link acts on that this SDK does not reproduce: what the kernel does
    /// with it, and why we refuse it (what our link would get wrong, or that no test shows it right).</summary>
    /// <param name="Series">Refused only on this kernel series ("6.1"), or on all when null.</param>
    public sealed record RefusedOption(string Option, string KernelDoes, string Why, string? Series = null);

    public static IReadOnlyList<RefusedOption> Refused { get; } =
    [
        new("CONFIG_LTO_CLANG_FULL",
            "links vmlinux.o made by full LTO; the final link compiles the bitcode .vmlinux.export.o and init/version-timestamp.o as one LTO module",
            "no test links a full-LTO kernel (ThinLTO, CONFIG_LTO_CLANG_THIN, is tested on 6.12)"),
        new("CONFIG_X86_KERNEL_IBT",
            "links vmlinux.o (sealed by objtool) instead of vmlinux.a and the libraries",
            "no 6.1 fixture tests that link (6.12 turns it on by default, and every 6.12 test links that way)", Series: "6.1"),
        new("CONFIG_CPU_BIG_ENDIAN",
            "arm64: links a big-endian image (-EB), whose kallsyms table and .relr.dyn/.rela.dyn are big-endian",
            "no big-endian arm64 kernel is linked or booted by a test of ours"),
        new("CONFIG_BUILTIN_MODULE_RANGES",
            "6.12: after the link, builds modules.builtin.ranges from vmlinux.map and vmlinux.o.map",
            "our link does not rebuild modules.builtin.ranges from its vmlinux.map"),
    ];

    // Architecture symbols of auto.conf, to name what a kernel is built for.
    private static readonly string[] ArchitectureOptions =
        ["UML", "ARM64", "ARM", "X86_32", "RISCV", "PPC", "S390", "MIPS", "LOONGARCH", "SPARC", "PARISC", "ALPHA", "M68K", "SUPERH", "XTENSA", "ARC", "CSKY", "HEXAGON", "MICROBLAZE", "NIOS2", "OPENRISC"];

    /// <summary>The kernel series each architecture is linked and booted on by a test of ours: x86-64 on both,
    /// arm64 (a -pie image whose .relr.dyn/.rela.dyn the kernel applies at boot, no arch postlink) on both too.</summary>
    public static IReadOnlyDictionary<string, string[]> TestedArchitectures { get; } = new Dictionary<string, string[]>
    {
        ["X86_64"] = ["6.1", "6.12"],
        ["ARM64"] = ["6.1", "6.12"],
    };

    /// <summary>Throws unless kernel-tree mode links this configuration exactly as the kernel's make would:
    /// an architecture and series of <see cref="TestedArchitectures"/>, none of <see cref="Refused"/>.</summary>
    public static void EnsureLinkable(KernelConfig config, Table.KernelVersion version, string buildDir)
    {
        if (config.IsEnabled("UML"))
            throw new KbuildException(ErrorCodes.UnsupportedKernelArchitecture, config.Path,
                $"'{buildDir}' is a User-mode Linux kernel (ARCH=um, CONFIG_UML=y), which links vmlinux with the C compiler, " +
                "not ld: build it with the kernel's own link (make vmlinux).");
        var series = $"{version.Major}.{version.Minor}";
        var tested = TestedArchitectures.FirstOrDefault(t => config.IsEnabled(t.Key));
        if (tested.Key == null || !tested.Value.Contains(series))
        {
            var arch = ArchitectureOptions.FirstOrDefault(config.IsEnabled) is { } a ? $"CONFIG_{a}=y" : "no CONFIG_X86_64=y";
            var supported = string.Join(", ", TestedArchitectures.Select(t => $"{t.Key.ToLowerInvariant().Replace('_', '-')} on {string.Join(" and ", t.Value)}"));
            throw new KbuildException(ErrorCodes.UnsupportedKernelArchitecture, config.Path,
                $"'{buildDir}' is a {series} kernel for an architecture kernel-tree mode does not link on {series} ({arch} in {config.Path}); " +
                $"it is tested on {supported} only, so others (their post-link steps, -pie relocations) are refused: " +
                "build it with the kernel's own link (make vmlinux).");
        }
        var refused = Refused.Where(r => config.IsEnabled(r.Option) && (r.Series == null || r.Series == $"{version.Major}.{version.Minor}")).ToList();
        if (refused.Count > 0)
            throw new KbuildException(ErrorCodes.KernelOptionUnsupported, config.Path,
                $"'{buildDir}' has {string.Join(", ", refused.Select(r => r.Option + "=y"))}, which kernel-tree mode does not support yet on {version.Major}.{version.Minor}: " +
                string.Join(" ", refused.Select(r => $"With {r.Option} the kernel's link {r.KernelDoes}; refused because {r.Why}.")) +
                " Build this kernel with its own link (make vmlinux), or turn the option off (scripts/config --file .config " +
                string.Join(" ", refused.Select(r => "-d " + r.Option["CONFIG_".Length..])) + "; make olddefconfig).");
    }
}
