using System.Text;
using Kbuild.Diagnostics;
using Kbuild.IO;

namespace Kbuild.Inputs;

/// <summary>
/// One member of an archive: the name `ar t` and `nm` print, and where its bytes are.
/// <see cref="Name"/> of a thin archive's external member is prefixed with the archive's directory as ar and nm
/// print it. A regular member is [DataOffset, DataOffset+Size) of <see cref="FilePath"/> (the archive itself, or for a thin
/// archive's element of a nested regular archive, that archive); a thin archive's external member is the whole
/// file <see cref="FilePath"/> (DataOffset 0, Size its current length).
/// </summary>
public sealed record ArMember(string Name, string FilePath, long DataOffset, long Size, bool IsExternalFile);

/// <summary>
/// A GNU ar archive, regular ("!&lt;arch&gt;\n") or thin ("!&lt;thin&gt;\n"): the symbol tables ("/", "/SYM64/") are
/// skipped, long names come from the "//" table (BSD "#1/len" names are read too), a thin archive's member paths are
/// relative to the archive's directory. Knows nothing about what the members contain.
/// </summary>
public sealed class ArArchive
{
    public static ReadOnlySpan<byte> RegularMagic => "!<arch>\n"u8;
    public static ReadOnlySpan<byte> ThinMagic => "!<thin>\n"u8;
    private const int HeaderSize = 60;

    private ArArchive(string path, bool isThin, IReadOnlyList<ArMember> members)
    {
        Path = path;
        IsThin = isThin;
        Members = members;
    }

    public string Path { get; }
    public bool IsThin { get; }

    /// <summary>The members in archive order (= link order).</summary>
    public IReadOnlyList<ArMember> Members { get; }

    /// <summary>Whether the bytes start with an ar magic string (regular or thin).</summary>
    public static bool HasArchiveMagic(ReadOnlySpan<byte> start) => start.StartsWith(RegularMagic) || start.StartsWith(ThinMagic);

    /// <summary>Whether the file is an archive (by its magic string, not its name); false for short or unreadable files.</summary>
    public static bool IsArchive(string path) => HasArchiveMagic(RegularFile.Start(path, 8));

    /// <summary>Reads the member table. A missing external member of a thin archive is an error (KB0103).</summary>
    public static ArArchive Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = RegularFile.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "the file does not exist; build it first or fix the path",
                NotRegularFileException n => $"it is {n.Kind}, not a file; put the real archive there or fix the path",
                _ => $"{e.Message}; check the path and its permissions",
            };
            throw new KbuildException(ErrorCodes.FileUnreadable, path, $"cannot read archive '{path}': {reason}.", inner: e);
        }
        return Parse(path, bytes);
    }

    private static ArArchive Parse(string path, byte[] bytes)
    {
        bool thin = bytes.AsSpan().StartsWith(ThinMagic);
        if (!thin && !bytes.AsSpan().StartsWith(RegularMagic))
            throw new KbuildException(ErrorCodes.NotArchive, path,
                "not an ar archive (it does not start with \"!<arch>\" or \"!<thin>\"); pass an archive or an object file.");
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var members = new List<ArMember>();
        byte[] longNames = [];
        long position = 8;
        while (position < bytes.Length)
        {
            if (bytes.Length - position == 1 && bytes[position] == '\n') break; // trailing pad byte
            if (bytes.Length - position < HeaderSize)
                throw Corrupt(path, position, "a member header is cut short by the end of the file");
            var header = bytes.AsSpan((int)position, HeaderSize);
            if (header[58] != '`' || header[59] != '\n')
                throw Corrupt(path, position, "a member header does not end with \"`\\n\"");
            string rawName = Encoding.Latin1.GetString(header[..16]).TrimEnd(' ');
            long size = ParseDecimal(header.Slice(48, 10), path, position, "size");
            long dataOffset = position + HeaderSize;
            // The symbol table and long names are stored even in thin archives; other thin members are not.
            bool special = rawName is "/" or "//" or "/SYM64/" or "__.SYMDEF" or "__.SYMDEF SORTED";
            bool hasData = !thin || special;
            if (hasData && dataOffset + size > bytes.Length)
                throw Corrupt(path, position, $"member '{rawName}' of {size} bytes runs past the end of the file");

            if (rawName == "//")
                longNames = bytes.AsSpan((int)dataOffset, (int)size).ToArray();
            else if (!special)
                members.Add(ReadMember(path, directory, bytes, thin, rawName, dataOffset, size, longNames, position));

            position = dataOffset + (hasData ? size + (size & 1) : 0);
        }
        return new ArArchive(path, thin, members);
    }

    private static ArMember ReadMember(string path, string directory, byte[] bytes, bool thin, string rawName,
        long dataOffset, long size, byte[] longNames, long position)
    {
        if (rawName.StartsWith("#1/", StringComparison.Ordinal))
        {
            // BSD: the name is the first len bytes of the data.
            long nameLength = ParseDecimal(Encoding.Latin1.GetBytes(rawName[3..]), path, position, "BSD name length");
            if (nameLength > size)
                throw Corrupt(path, position, $"member '{rawName}' has a name of {nameLength} bytes in {size} bytes of data");
            if (thin)
                throw Corrupt(path, position, $"member '{rawName}' of a thin archive has a BSD name, which is stored in member data thin archives do not hold");
            string bsdName = Encoding.Latin1.GetString(bytes.AsSpan((int)dataOffset, (int)nameLength)).TrimEnd('\0');
            return new ArMember(bsdName, path, dataOffset + nameLength, size - nameLength, false);
        }

        string name = rawName;
        long nestedOrigin = -1;
        if (rawName.StartsWith('/') && rawName.Length > 1 && char.IsAsciiDigit(rawName[1]))
        {
            // "/123" names the long-name table entry at offset 123; thin archives add ":origin" for an element of
            // a nested regular archive (the table entry is then that archive, origin its member header's offset).
            var reference = rawName[1..];
            int colon = reference.IndexOf(':');
            if (colon >= 0)
            {
                nestedOrigin = ParseDecimal(Encoding.Latin1.GetBytes(reference[(colon + 1)..]), path, position, "nested member offset");
                reference = reference[..colon];
            }
            name = LongName(longNames, ParseDecimal(Encoding.Latin1.GetBytes(reference), path, position, "long name offset"),
                path, position);
        }
        else if (name.EndsWith('/'))
        {
            name = name[..^1];
        }

        if (!thin) return new ArMember(name, path, dataOffset, size, false);

        var external = System.IO.Path.IsPathRooted(name) ? name : System.IO.Path.Combine(directory, name);
        if (!File.Exists(external))
            throw new KbuildException(ErrorCodes.ThinMemberMissing, path,
                $"thin archive member '{name}' does not exist (looked for '{external}'); a thin archive only refers to its " +
                "members: rebuild the missing object (or the archive).");
        if (nestedOrigin < 0) return new ArMember(ThinMemberName(path, name), external, 0, new FileInfo(external).Length, true);

        // An element of a nested archive lives in a regular archive; a thin one here would only point on (or back).
        if (!IsRegularArchive(external))
            throw Corrupt(path, position, $"member '{rawName}' refers to an element of '{external}', which is not a regular archive");
        var nested = Read(external);
        var element = nested.Members.FirstOrDefault(m => m.DataOffset - HeaderSize == nestedOrigin);
        if (element == null)
            throw Corrupt(path, position, $"member '{rawName}' refers to offset {nestedOrigin} of '{external}', where there is no member");
        return element;
    }

    private static bool IsRegularArchive(string path) => RegularFile.Start(path, 8).AsSpan().SequenceEqual(RegularMagic);

    /// <summary>How ar and nm name a thin member: the archive's directory as given, then the stored path
    /// (BFD's _bfd_append_relative_path), e.g. "build/kernel/fork.o" for "build/vmlinux.a".</summary>
    private static string ThinMemberName(string archivePath, string storedName)
    {
        if (System.IO.Path.IsPathRooted(storedName)) return storedName;
        int slash = archivePath.LastIndexOf('/');
        return slash < 0 ? storedName : archivePath[..(slash + 1)] + storedName;
    }

    private static string LongName(byte[] longNames, long offset, string path, long position)
    {
        if (offset >= longNames.Length)
            throw Corrupt(path, position, $"a member name refers to offset {offset} outside the long-name table ({longNames.Length} bytes)");
        var rest = longNames.AsSpan((int)offset);
        int end = rest.IndexOf((byte)'\n');
        var entry = end < 0 ? rest : rest[..end];
        if (entry.EndsWith("/"u8)) entry = entry[..^1];
        return Encoding.Latin1.GetString(entry);
    }

    private static long ParseDecimal(ReadOnlySpan<byte> field, string path, long position, string what)
    {
        long value = 0;
        bool any = false;
        foreach (byte b in field)
        {
            if (b == ' ' && !any) continue;
            if (b == ' ') break;
            if (b < '0' || b > '9') throw Corrupt(path, position, $"a member header has a malformed {what} field");
            if (value > (long.MaxValue - 9) / 10) throw Corrupt(path, position, $"a member header has an out-of-range {what} field");
            value = value * 10 + (b - '0');
            any = true;
        }
        if (!any) throw Corrupt(path, position, $"a member header has an empty {what} field");
        return value;
    }

    private static KbuildException Corrupt(string path, long position, string what) => new(ErrorCodes.ArchiveCorrupt, path,
        $"archive is corrupt at offset {position}: {what}; delete the archive and rebuild it.");
}
