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
    public const string KbuildValuesNotCaptured = "KB0405";

    /// <summary>The kernel is built for an architecture whose vmlinux link is not an `ld` run (e.g. um).</summary>
    public const string UnsupportedKernelArchitecture = "KB0406";

    /// <summary>A step the kernel runs after linking vmlinux (sorttable, arch postlink, the saved
    /// command for make) failed: see the tool's output; vmlinux is not usable until it succeeds.</summary>
    public const string KernelPostLinkFailed = "KB0407";

    /// <summary>The kernel's source or build directory path has a space or a colon, which the kernel's make
    /// refuses: move the tree (or the O= directory) to a path without them.</summary>
    public const string KernelPathUnsupported = "KB0420";
}
