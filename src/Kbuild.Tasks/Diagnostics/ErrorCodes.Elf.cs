namespace Kbuild.Diagnostics;

public static partial class ErrorCodes
{
    /// <summary>An input file cannot be opened or read (missing, a directory, no permission, I/O error): check the path and its permissions, or rebuild the file.</summary>
    public const string FileUnreadable = "KB0001";

    /// <summary>The file is not an ELF file (wrong magic number): pass an ELF object, executable or archive, or rebuild it.</summary>
    public const string NotElf = "KB0002";

    /// <summary>The ELF header is malformed or uses an unsupported encoding (class, byte order, entry sizes): the file is corrupt or not produced by a supported toolchain.</summary>
    public const string ElfHeaderInvalid = "KB0003";

    /// <summary>The ELF file is shorter than its headers say (truncated write, interrupted build): delete the file and rebuild it.</summary>
    public const string ElfTruncated = "KB0004";

    /// <summary>A section's contents or a table inside it are inconsistent (bad string offsets, wrong entry size, bad link): the file is corrupt; rebuild it.</summary>
    public const string ElfSectionInvalid = "KB0005";

    /// <summary>An address is not inside any allocated section with file contents, so it cannot be read or patched in the file.</summary>
    public const string AddressNotInFile = "KB0006";

    /// <summary>System.map could not be written (directory missing, disk full, permission): check the output path.</summary>
    public const string SysmapWriteFailed = "KB0008";

    /// <summary>An output file cannot be written (directory not creatable, disk full, permission): check the output path and free space.</summary>
    public const string OutputUnwritable = "KB0009";

    /// <summary>The input is LLVM bitcode, not ELF: an object compiled for link-time optimization (e.g. the objects of a
    /// CONFIG_LTO_CLANG kernel). A bitcode object linked directly is read through a native stand-in when Ld is ld.lld;
    /// anywhere else (inside an archive, or with another linker) link it with the kernel's own make or build without LTO.</summary>
    public const string LlvmBitcodeInput = "KB0060";
}
