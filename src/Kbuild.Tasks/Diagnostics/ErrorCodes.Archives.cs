namespace Kbuild.Diagnostics;

public static partial class ErrorCodes
{
    /// <summary>The file is not an ar archive (neither "!&lt;arch&gt;" nor "!&lt;thin&gt;"): pass an archive or an ELF object.</summary>
    public const string NotArchive = "KB0101";

    /// <summary>An archive member header or the long-name table is malformed or runs past the end of the file: the archive is corrupt or truncated; delete it and rebuild it.</summary>
    public const string ArchiveCorrupt = "KB0102";

    /// <summary>A member of a thin archive (a file the archive only refers to) is missing: rebuild the objects the thin archive lists, or rebuild the archive.</summary>
    public const string ThinMemberMissing = "KB0103";

    /// <summary>A thin archive lists itself, directly or through other thin archives (or nests them absurdly
    /// deep): rebuild it from its objects.</summary>
    public const string ArchiveCycle = "KB0120";
}
