namespace Kbuild.Diagnostics;

public static partial class ErrorCodes
{
    /// <summary>A kernel version string does not parse; pass it as "6.1", "6.1.192" or "6.12.48".</summary>
    public const string KernelVersionInvalid = "KB0201";

    /// <summary>The kernel version is of no series this SDK links (its table layout, System.map filter and link steps are
    /// unknown): set KernelVersion to a supported series, or add a series descriptor (src/Kbuild.Tasks/Kernel/Series).</summary>
    public const string KallsymsVersionUnsupported = "KB0202";

    /// <summary>A System.map line is not "address type name"; regenerate the map with nm -n / mksysmap.</summary>
    public const string SystemMapLineInvalid = "KB0203";

    /// <summary>An option the chosen kernel's scripts/kallsyms does not have; drop it for that version.</summary>
    public const string KallsymsOptionUnsupported = "KB0204";

    /// <summary>No symbol survived the kallsyms filters (6.1 refuses an empty table); check the map and --all-symbols.</summary>
    public const string KallsymsNoValidSymbol = "KB0205";

    /// <summary>A symbol address does not fit the 32-bit relative encoding; check the map or the --absolute-percpu setting.</summary>
    public const string KallsymsRelativeOverflow = "KB0206";

    /// <summary>Warning: a symbol name of KSYM_NAME_LEN (512) bytes or more is left out of the table, as the kernel does.</summary>
    public const string KallsymsNameTooLong = "KB0207";

    /// <summary>An array is larger than the size reserved for it; reserve more slack or relink.</summary>
    public const string KallsymsReservationTooSmall = "KB0208";

    /// <summary>The kallsyms arrays of an image are missing or inconsistent; the image was not linked with a kallsyms table.</summary>
    public const string KallsymsTableUnreadable = "KB0209";

    /// <summary>The System.map file cannot be read; check the path and permissions.</summary>
    public const string SystemMapUnreadable = "KB0210";

    /// <summary>KallsymsVerify: a vmlinux's kallsyms table differs from the one its own symbols call for under its kernel's
    /// rules (first difference reported); the image was linked or patched wrongly, or verified with the wrong switches.</summary>
    public const string KallsymsTableMismatch = "KB0240";

    /// <summary>KallsymsDump cannot write KallsymsDumpFile; check that its directory exists and is writable.</summary>
    public const string KallsymsDumpWriteFailed = "KB0241";
}
