namespace Kbuild.Diagnostics;

public static partial class ErrorCodes
{
    /// <summary>The kernel build directory is missing or not configured (no include/config/auto.conf):
    /// point KernelBuildDir at an O= directory (or source tree) where `make olddefconfig` has run.</summary>
    public const string KernelBuildDirNotConfigured = "KB0401";

    /// <summary>The kernel version has no kallsyms layout here: use a supported kernel or add one.</summary>
    public const string UnsupportedKernelVersion = "KB0402";

    /// <summary>The kernel's make failed while building what vmlinux is linked from: fix the build
    /// error make printed (run the same make by hand to see all of it).</summary>
    public const string KernelMakeFailed = "KB0404";

    /// <summary>The kernel's make did not link vmlinux through cmd_link_vmlinux (scripts/Makefile.vmlinux),
    /// so its link settings could not be captured: this kernel's build layout is not supported.</summary>
    public const string KernelTreeValuesNotCaptured = "KB0405";

    /// <summary>The kernel is built for an architecture whose vmlinux link is not an `ld` run (e.g. um).</summary>
    public const string UnsupportedKernelArchitecture = "KB0406";

    /// <summary>A step the kernel runs after linking vmlinux (sorttable, arch postlink, the saved
    /// command for make) failed: see the tool's output; vmlinux is not usable until it succeeds.</summary>
    public const string KernelPostLinkFailed = "KB0407";

    /// <summary>A script of the kernel tree whose step the SDK models itself (scripts/kallsyms.c, scripts/mksysmap,
    /// scripts/link-vmlinux.sh, scripts/Makefile.vmlinux) is not a version the SDK knows for the tree's series, so its
    /// result could differ from make's: link the tree with its own make, or add the version to the series descriptor.</summary>
    public const string KernelScriptUnknown = "KB0408";

    /// <summary>The kernel's source or build directory path has a space or a colon, which the kernel's make
    /// refuses: move the tree (or the O= directory) to a path without them.</summary>
    public const string KernelPathUnsupported = "KB0420";

    /// <summary>A build directory has no scripts/link-vmlinux.sh (neither through its 'source' link nor in-tree), so the
    /// kallsyms switches of its kernel are unknown: fix the 'source' link, or set KernelVersion and Kallsyms* yourself.</summary>
    public const string KernelLinkScriptMissing = "KB0440";

    /// <summary>The kernel's configuration turns on an option that changes how the kernel links vmlinux and that
    /// kernel-tree mode does not reproduce yet (docs/kernels.md lists them): link this kernel with its own make, or
    /// turn the option off.</summary>
    public const string KernelOptionUnsupported = "KB0460";

    /// <summary>A tool the kernel's build needs is not installed (the compiler LLVM=, CROSS_COMPILE= or CC= selects,
    /// pahole for CONFIG_DEBUG_INFO_BTF): install the Debian package the message names, or fix the make argument.</summary>
    public const string KernelToolMissing = "KB0461";

    /// <summary>The installed pahole is older than CONFIG_DEBUG_INFO_BTF of this tree needs (6.x: v1.16, 7.x: v1.22): install a newer one (Debian package dwarves).</summary>
    public const string PaholeTooOld = "KB0462";

    /// <summary>A tool of the kernel's build is older than the tree asks for (its scripts/min-tool-version.sh: 7.x needs
    /// LLVM 17.0.1): install a newer one, or build with another toolchain (GCC instead of LLVM=).</summary>
    public const string KernelToolTooOld = "KB0465";

    /// <summary>Generating or resolving BTF failed (pahole -J, objcopy of .BTF, or resolve_btfids): see the tool's
    /// output; the kernel's own link stops at the same step ("Failed to generate BTF for vmlinux").</summary>
    public const string KernelBtfFailed = "KB0463";

    /// <summary>BTF generated from the link inputs (one link, KernelTreeBtfFrom=LinkInputs) names functions or variables
    /// the linked vmlinux lacks, so it differs from the kernel's own BTF: set KernelTreeBtfFrom=Image.</summary>
    public const string KernelBtfNotTheImages = "KB0464";

    /// <summary>The kernel's make would build another architecture than the build directory is configured for (ARCH=
    /// missing or different), and would rewrite .config for it: pass the configuration's ARCH= in KernelMakeArguments.</summary>
    public const string KernelArchitectureMismatch = "KB0470";

    /// <summary>A kernel for another architecture than this machine's, with no cross toolchain chosen (no CROSS_COMPILE,
    /// LLVM or CC): pass CROSS_COMPILE= (e.g. aarch64-linux-gnu-, Debian gcc-aarch64-linux-gnu) or LLVM=1.</summary>
    public const string KernelCrossCompilerMissing = "KB0471";
}
