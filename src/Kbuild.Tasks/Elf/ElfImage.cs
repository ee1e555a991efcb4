using System.Buffers.Binary;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.IO;
using Microsoft.Win32.SafeHandles;

namespace Kbuild.Elf;

public enum ElfClass { Elf32 = 1, Elf64 = 2 }

public enum ElfSymbolType : byte { NoType = 0, Object = 1, Func = 2, Section = 3, File = 4, Common = 5, Tls = 6, GnuIFunc = 10 }

public enum ElfSymbolBinding : byte { Local = 0, Global = 1, Weak = 2, GnuUnique = 10 }

/// <summary>A section header, as read from the file.</summary>
/// <param name="Alignment">sh_addralign: where the linker may place the section (0 and 1: anywhere).</param>
public sealed record ElfSection(int Index, string Name, uint Type, ulong Flags, ulong Address, ulong Offset,
    ulong Size, uint Link, uint Info, ulong EntrySize, ulong Alignment = 1)
{
    public const uint SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_RELA = 4, SHT_NOBITS = 8, SHT_REL = 9,
        SHT_SYMTAB_SHNDX = 18;
    public const ulong SHF_WRITE = 1, SHF_ALLOC = 2, SHF_EXECINSTR = 4;
    public bool IsAllocated => (Flags & SHF_ALLOC) != 0;
    public bool HasFileContents => Type != SHT_NOBITS;
}

/// <summary>A raw .symtab entry; SectionIndex already resolved through SHT_SYMTAB_SHNDX.</summary>
/// <remarks>Like BFD, reserved 16-bit indexes (SHN_LORESERVE and up: ABS, COMMON, processor-specific) become
/// 0xFFFFFFxx, so they never collide with a real section index above 0xFF00 reached through SHN_XINDEX.
/// Names are byte strings decoded as Latin-1 (one char per byte): ordinal order is C strcmp order
/// and <see cref="Encoding.Latin1"/> gives back the exact bytes.</remarks>
public readonly record struct ElfSymbol(int TableIndex, string Name, ulong Value, ulong Size,
    ElfSymbolType Type, ElfSymbolBinding Binding, byte Visibility, uint SectionIndex)
{
    public const uint SHN_UNDEF = 0, SHN_LORESERVE = 0xFFFFFF00, SHN_ABS = 0xFFFFFFF1, SHN_COMMON = 0xFFFFFFF2;

    /// <summary>The SectionIndex of a raw reserved st_shndx value (0xFF00..0xFFFE), e.g. ReservedIndex(0xFF02).</summary>
    public static uint ReservedIndex(ushort rawShndx) => SHN_LORESERVE | (rawShndx & 0xFFu);
    public bool IsUndefined => SectionIndex == SHN_UNDEF;
    public bool IsAbsolute => SectionIndex == SHN_ABS;
    public bool IsCommon => SectionIndex == SHN_COMMON || Type == ElfSymbolType.Common;
}

/// <summary>A relocation entry (REL or RELA); Addend is 0 for REL.</summary>
public readonly record struct ElfRelocation(ulong Offset, uint SymbolIndex, uint Type, long Addend);

/// <summary>
/// An ELF file (or an ELF member inside a regular ar archive) opened for reading.
/// Errors are KbuildException with a KB00xx code and the file path.
/// </summary>
/// <remarks>
/// Parses the headers and tables itself with positional reads: it needs only the ELF header, the section
/// headers and the symbol/string tables, must handle extended section numbering and SHN_XINDEX, and must
/// read a 200k-symbol table in a few milliseconds (see REFERENCE §4 for why not ELFSharp).
/// </remarks>
public sealed class ElfImage : IDisposable
{
    public const ushort ET_EXEC = 2, ET_DYN = 3;
    private const ushort SHN_XINDEX = 0xFFFF;

    private readonly SafeFileHandle _file;
    private readonly long _base;
    private readonly long _length;
    private readonly string _filePath;
    private readonly ElfSection[] _sections;
    private Dictionary<string, ElfSection>? _sectionsByName;

    private ElfImage(SafeFileHandle file, string filePath, long baseOffset, long length, string displayName)
    {
        _file = file;
        _filePath = filePath;
        _base = baseOffset;
        _length = length;
        Path = displayName;
        try
        {
            (Class, IsLittleEndian, FileType, Machine, _sections, SectionNameTableIndex) = ReadHeaders();
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <param name="displayName">How errors name the file (a thin archive's member: "archive(member)"); the path by default.</param>
    public static ElfImage Open(string path, string? displayName = null)
    {
        var file = OpenFile(path);
        return new ElfImage(file, path, 0, LengthOf(file, path), displayName ?? path);
    }

    /// <summary>An ELF stored at [offset, offset+length) of a container file (a regular archive member).</summary>
    public static ElfImage Open(string path, long offset, long length, string displayName)
    {
        var file = OpenFile(path);
        var fileLength = LengthOf(file, path);
        if (offset < 0 || length < 0 || offset + length > fileLength)
        {
            file.Dispose();
            throw new KbuildException(ErrorCodes.ElfTruncated, displayName,
                $"the ELF member at offset {offset} with size {length} runs past the end of '{path}' ({fileLength} bytes); " +
                "the archive is truncated: delete it and rebuild it.");
        }
        return new ElfImage(file, path, offset, length, displayName);
    }

    /// <summary>Whether the bytes start with the ELF magic number.</summary>
    public static bool HasElfMagic(ReadOnlySpan<byte> start) => start is [0x7F, (byte)'E', (byte)'L', (byte)'F', ..];

    /// <summary>Whether the bytes start like an LLVM bitcode file: raw (<c>BC C0 DE</c>) or in the bitcode
    /// wrapper (<c>0x0B17C0DE</c>, little-endian), as clang writes objects compiled with -flto.</summary>
    public static bool IsLlvmBitcode(ReadOnlySpan<byte> start) =>
        start is [(byte)'B', (byte)'C', 0xC0, 0xDE, ..] or [0xDE, 0xC0, 0x17, 0x0B, ..];

    /// <summary>The display name: the file path, or "archive(member)" for an archive member.</summary>
    public string Path { get; }
    public ElfClass Class { get; }
    public bool IsLittleEndian { get; }

    /// <summary>Reads and writes integers in this file's byte order.</summary>
    public ByteOrder ByteOrder => new(IsLittleEndian);
    public ushort Machine { get; }
    /// <summary>e_type: 1 REL, 2 EXEC, 3 DYN.</summary>
    public ushort FileType { get; }
    public IReadOnlyList<ElfSection> Sections => _sections;
    /// <summary>e_shstrndx (resolved through section 0 with extended numbering); 0 when there is none.</summary>
    public int SectionNameTableIndex { get; }

    public ElfSection? FindSection(string name)
    {
        _sectionsByName ??= _sections.GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.First());
        return _sectionsByName.GetValueOrDefault(name);
    }

    /// <summary>.symtab entries in table order, without the null entry 0.</summary>
    public IReadOnlyList<ElfSymbol> ReadSymbols()
    {
        var symtab = Array.Find(_sections, s => s.Type == ElfSection.SHT_SYMTAB);
        if (symtab == null) return [];
        int entrySize = Class == ElfClass.Elf64 ? 24 : 16;
        if (symtab.EntrySize != 0 && symtab.EntrySize != (ulong)entrySize)
            throw SectionError(symtab, $"has entry size {symtab.EntrySize}, expected {entrySize}");
        if (symtab.Link == 0 || symtab.Link >= _sections.Length || _sections[symtab.Link].Type != ElfSection.SHT_STRTAB)
            throw SectionError(symtab, $"links to section {symtab.Link}, which is not a string table");

        var table = ReadSection(symtab);
        var strings = ReadSection(_sections[symtab.Link]);
        var extendedIndexSection = Array.Find(_sections,
            s => s.Type == ElfSection.SHT_SYMTAB_SHNDX && s.Link == (uint)symtab.Index);
        var extendedIndexes = extendedIndexSection == null ? [] : ReadSection(extendedIndexSection);

        int count = table.Length / entrySize;
        var symbols = new ElfSymbol[Math.Max(0, count - 1)];
        var byteOrder = ByteOrder;
        for (int i = 1; i < count; i++)
        {
            var entry = table.AsSpan(i * entrySize, entrySize);
            uint nameOffset = byteOrder.U32(entry);
            ulong value, size;
            byte info, other;
            ushort shndx;
            if (Class == ElfClass.Elf64)
            {
                info = entry[4];
                other = entry[5];
                shndx = byteOrder.U16(entry[6..]);
                value = byteOrder.U64(entry[8..]);
                size = byteOrder.U64(entry[16..]);
            }
            else
            {
                value = byteOrder.U32(entry[4..]);
                size = byteOrder.U32(entry[8..]);
                info = entry[12];
                other = entry[13];
                shndx = byteOrder.U16(entry[14..]);
            }
            uint sectionIndex = shndx >= 0xFF00 ? ElfSymbol.ReservedIndex(shndx) : shndx;
            if (shndx == SHN_XINDEX)
            {
                if ((i + 1) * 4 > extendedIndexes.Length)
                    throw SectionError(symtab, $"symbol {i} uses SHN_XINDEX but there is no SHT_SYMTAB_SHNDX entry for it");
                sectionIndex = byteOrder.U32(extendedIndexes.AsSpan(i * 4));
            }
            symbols[i - 1] = new ElfSymbol(i, NameAt(strings, nameOffset, symtab, i), value, size,
                (ElfSymbolType)(info & 0xF), (ElfSymbolBinding)(info >> 4), (byte)(other & 3), sectionIndex);
        }
        return symbols;
    }

    /// <summary>File offset of an address inside an allocated, non-NOBITS section; KB error otherwise.</summary>
    public long FileOffsetOf(ulong address)
    {
        foreach (var s in _sections)
        {
            if (!(s.IsAllocated && s.HasFileContents && s.Size > 0 && address >= s.Address && address - s.Address < s.Size)) continue;
            var offset = s.Offset + (address - s.Address);
            if (offset < s.Offset || offset >= (ulong)_length)
                throw new KbuildException(ErrorCodes.ElfTruncated, Path,
                    $"address 0x{address:x} lies in section {s.Name} at file offset 0x{offset:x}, past the end of the file " +
                    $"({_length} bytes): the file is truncated or its section headers are damaged; rebuild it.");
            return (long)offset;
        }
        throw new KbuildException(ErrorCodes.AddressNotInFile, Path,
            $"address 0x{address:x} is not inside any allocated section with file contents, so it has no file offset; " +
            "check that the symbol is in a loaded section (not .bss or a debug section) of this linked file.");
    }

    public byte[] ReadBytes(long fileOffset, int count)
    {
        var bytes = new byte[count];
        ReadExactly(fileOffset, bytes, () => $"{count} bytes at file offset {fileOffset}");
        return bytes;
    }

    /// <summary>Relocations of a SHT_REL/SHT_RELA section, in order.</summary>
    public IReadOnlyList<ElfRelocation> ReadRelocations(ElfSection relocationSection)
    {
        bool rela = relocationSection.Type == ElfSection.SHT_RELA;
        if (!rela && relocationSection.Type != ElfSection.SHT_REL)
            throw SectionError(relocationSection, $"has type {relocationSection.Type}, not SHT_REL or SHT_RELA");
        bool elf64 = Class == ElfClass.Elf64;
        int entrySize = (elf64 ? 16 : 8) + (rela ? (elf64 ? 8 : 4) : 0);
        var data = ReadSection(relocationSection);
        var byteOrder = ByteOrder;
        var relocations = new ElfRelocation[data.Length / entrySize];
        for (int i = 0; i < relocations.Length; i++)
        {
            var entry = data.AsSpan(i * entrySize, entrySize);
            relocations[i] = elf64
                ? new ElfRelocation(byteOrder.U64(entry), (uint)(byteOrder.U64(entry[8..]) >> 32),
                    (uint)byteOrder.U64(entry[8..]), rela ? (long)byteOrder.U64(entry[16..]) : 0)
                : new ElfRelocation(byteOrder.U32(entry), byteOrder.U32(entry[4..]) >> 8,
                    byteOrder.U32(entry[4..]) & 0xFF, rela ? (int)byteOrder.U32(entry[8..]) : 0);
        }
        return relocations;
    }

    /// <summary>The whole contents of a section (empty for NOBITS).</summary>
    public byte[] ReadSection(ElfSection section)
    {
        if (!section.HasFileContents || section.Size == 0) return [];
        CheckContents(section);
        var bytes = new byte[section.Size];
        ReadExactly((long)section.Offset, bytes, () => $"section '{section.Name}'");
        return bytes;
    }

    /// <summary>Bytes <paramref name="start"/>… of a section into <paramref name="destination"/>, for reading a large
    /// section (a debug kernel's .debug_info, hundreds of MB) in pieces rather than into one array.</summary>
    public void ReadSectionPart(ElfSection section, long start, Span<byte> destination)
    {
        CheckContents(section);
        if (start < 0 || (ulong)start + (ulong)destination.Length > section.Size)
            throw new ArgumentOutOfRangeException(nameof(start), $"bytes {start}+{destination.Length} are not in section '{section.Name}' ({section.Size} bytes)");
        ReadExactly((long)section.Offset + start, destination, () => $"section '{section.Name}'");
    }

    private void CheckContents(ElfSection section)
    {
        if (section.Offset > (ulong)_length || section.Size > (ulong)_length - section.Offset)
            throw new KbuildException(ErrorCodes.ElfTruncated, Path,
                $"section [{section.Index}] '{section.Name}' (offset {section.Offset}, size {section.Size}) extends past the end of " +
                $"the file ({_length} bytes); the file is truncated or corrupt: delete it and rebuild it.");
    }

    public void Dispose() => _file.Dispose();

    private (ElfClass, bool, ushort, ushort, ElfSection[], int) ReadHeaders()
    {
        Span<byte> ident = stackalloc byte[64];
        int identLength = (int)Math.Min(64, _length);
        ReadExactly(0, ident[..identLength], () => "the ELF header");
        if (IsLlvmBitcode(ident[..identLength]))
            throw new KbuildException(ErrorCodes.LlvmBitcodeInput, Path, "is LLVM bitcode, not an ELF object: it was compiled for " +
                "link-time optimization (a CONFIG_LTO_CLANG kernel, or -flto). The SDK reads bitcode only as an object linked directly " +
                "with ld.lld (through its native stand-in), not inside an archive: link it with the kernel's own make (make vmlinux) or build without LTO.");
        if (!HasElfMagic(ident[..identLength]))
            throw new KbuildException(ErrorCodes.NotElf, Path, $"not an ELF file ({DescribeStart(ident[..identLength])}); " +
                "pass an ELF object, executable or archive, or rebuild the file.");
        if (identLength < 16)
            throw Truncated("the ELF identification (16 bytes)");
        var elfClass = ident[4] switch
        {
            1 => ElfClass.Elf32,
            2 => ElfClass.Elf64,
            var c => throw HeaderError($"has an unknown ELF class {c} (expected 1 for ELF32 or 2 for ELF64)"),
        };
        bool little = ident[5] switch
        {
            1 => true,
            2 => false,
            var d => throw HeaderError($"has an unknown byte order {d} (expected 1 little-endian or 2 big-endian)"),
        };
        bool elf64 = elfClass == ElfClass.Elf64;
        int headerSize = elf64 ? 64 : 52;
        if (identLength < headerSize)
            throw Truncated($"the {headerSize}-byte ELF header");
        var o = new ByteOrder(little);
        var h = ident;
        ushort fileType = o.U16(h[16..]);
        ushort machine = o.U16(h[18..]);
        ulong sectionHeaderOffset = elf64 ? o.U64(h[40..]) : o.U32(h[32..]);
        int at = elf64 ? 58 : 46;
        ushort sectionHeaderSize = o.U16(h[at..]);
        uint sectionCount = o.U16(h[(at + 2)..]);
        uint nameTableIndex = o.U16(h[(at + 4)..]);
        if (sectionHeaderOffset == 0) return (elfClass, little, fileType, machine, [], 0);

        int expectedHeaderSize = elf64 ? 64 : 40;
        if (sectionHeaderSize != expectedHeaderSize)
            throw HeaderError($"has section header size {sectionHeaderSize}, expected {expectedHeaderSize}");
        // Extended numbering: with >= 0xFF00 sections the real count and name table index live in section 0.
        var first = ReadSectionHeader(sectionHeaderOffset, 0, o, elf64);
        if (sectionCount == 0) sectionCount = (uint)first.Size;
        if (nameTableIndex == SHN_XINDEX) nameTableIndex = first.Link;
        ulong tableEnd = sectionHeaderOffset + (ulong)sectionCount * (ulong)sectionHeaderSize;
        if (sectionHeaderOffset > (ulong)_length || tableEnd > (ulong)_length)
            throw new KbuildException(ErrorCodes.ElfTruncated, Path,
                $"the section header table ({sectionCount} headers at offset {sectionHeaderOffset}) extends past the end of " +
                $"the file ({_length} bytes); the file is truncated or corrupt: delete it and rebuild it.");

        var raw = new byte[sectionCount * sectionHeaderSize];
        ReadExactly((long)sectionHeaderOffset, raw, () => "the section header table");
        var headers = new (uint Name, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link, uint Info, ulong Alignment, ulong EntrySize)[sectionCount];
        for (int i = 0; i < headers.Length; i++)
            headers[i] = ParseSectionHeader(raw.AsSpan(i * sectionHeaderSize, sectionHeaderSize), o, elf64);

        byte[] names = [];
        if (nameTableIndex != 0)
        {
            if (nameTableIndex >= sectionCount)
                throw HeaderError($"names section {nameTableIndex} as its section name table but has only {sectionCount} sections");
            var n = headers[nameTableIndex];
            names = ReadSection(new ElfSection((int)nameTableIndex, "section name table", n.Type, n.Flags, n.Address,
                n.Offset, n.Size, n.Link, n.Info, n.EntrySize, n.Alignment));
        }
        var sections = new ElfSection[sectionCount];
        for (int i = 0; i < sections.Length; i++)
        {
            var s = headers[i];
            string name = names.Length == 0 ? "" : SectionNameAt(names, s.Name, i);
            sections[i] = new ElfSection(i, name, s.Type, s.Flags, s.Address, s.Offset, s.Size, s.Link, s.Info, s.EntrySize, s.Alignment);
        }
        return (elfClass, little, fileType, machine, sections, (int)nameTableIndex);
    }

    private (uint Name, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link, uint Info, ulong Alignment, ulong EntrySize)
        ReadSectionHeader(ulong tableOffset, int index, ByteOrder o, bool elf64)
    {
        int size = elf64 ? 64 : 40;
        if (tableOffset > (ulong)_length || tableOffset + (ulong)((index + 1) * size) > (ulong)_length)
            throw new KbuildException(ErrorCodes.ElfTruncated, Path,
                $"the section header table at offset {tableOffset} extends past the end of the file ({_length} bytes); " +
                "the file is truncated or corrupt: delete it and rebuild it.");
        Span<byte> raw = stackalloc byte[size];
        ReadExactly((long)tableOffset + index * size, raw, () => "a section header");
        return ParseSectionHeader(raw, o, elf64);
    }

    private static (uint, uint, ulong, ulong, ulong, ulong, uint, uint, ulong, ulong) ParseSectionHeader(
        ReadOnlySpan<byte> h, ByteOrder o, bool elf64) => elf64
        ? (o.U32(h), o.U32(h[4..]), o.U64(h[8..]), o.U64(h[16..]), o.U64(h[24..]), o.U64(h[32..]), o.U32(h[40..]),
            o.U32(h[44..]), o.U64(h[48..]), o.U64(h[56..]))
        : (o.U32(h), o.U32(h[4..]), o.U32(h[8..]), o.U32(h[12..]), o.U32(h[16..]), o.U32(h[20..]), o.U32(h[24..]),
            o.U32(h[28..]), o.U32(h[32..]), o.U32(h[36..]));

    private string SectionNameAt(byte[] names, uint offset, int index)
    {
        if (offset >= names.Length)
            throw HeaderError($"gives section [{index}] a name offset {offset} outside the section name table ({names.Length} bytes)");
        return Latin1String(names.AsSpan((int)offset));
    }

    private string NameAt(byte[] strings, uint offset, ElfSection symtab, int symbolIndex)
    {
        if (offset == 0) return "";
        if (offset >= strings.Length)
            throw SectionError(symtab, $"symbol {symbolIndex} has name offset {offset} outside its string table ({strings.Length} bytes)");
        return Latin1String(strings.AsSpan((int)offset));
    }

    private static string Latin1String(ReadOnlySpan<byte> from)
    {
        int end = from.IndexOf((byte)0);
        return Encoding.Latin1.GetString(end < 0 ? from : from[..end]);
    }

    private void ReadExactly(long offset, Span<byte> buffer, Func<string> what)
    {
        if (offset < 0 || offset + buffer.Length > _length) throw Truncated(what());
        try
        {
            int done = 0;
            while (done < buffer.Length)
            {
                int n = RandomAccess.Read(_file, buffer[done..], _base + offset + done);
                if (n == 0) throw Truncated(what());
                done += n;
            }
        }
        catch (IOException e)
        {
            throw new KbuildException(ErrorCodes.FileUnreadable, Path,
                $"cannot read {what()} of '{_filePath}': {e.Message}; check the disk and rebuild the file.", inner: e);
        }
    }

    private static SafeFileHandle OpenFile(string path)
    {
        try
        {
            return RegularFile.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            string reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "the file does not exist; build it first or fix the path",
                NotRegularFileException n => $"it is {n.Kind}, not a file; put the real file there or fix the path",
                UnauthorizedAccessException => "permission denied (or it is a directory); fix the path or its permissions",
                _ => $"{e.Message}; check the path",
            };
            throw new KbuildException(ErrorCodes.FileUnreadable, path, $"cannot open '{path}': {reason}.", inner: e);
        }
    }

    private static long LengthOf(SafeFileHandle file, string path)
    {
        try
        {
            return RandomAccess.GetLength(file);
        }
        catch (IOException e)
        {
            file.Dispose();
            throw new KbuildException(ErrorCodes.FileUnreadable, path, $"cannot read '{path}': {e.Message}.", inner: e);
        }
    }

    private static string DescribeStart(ReadOnlySpan<byte> start)
    {
        if (start.Length == 0) return "the file is empty";
        if (start.StartsWith("!<arch>\n"u8) || start.StartsWith("!<thin>\n"u8)) return "it is an ar archive; read its members instead";
        var shown = start[..Math.Min(8, start.Length)];
        return "it starts with bytes " + Convert.ToHexString(shown).ToLowerInvariant() + ", not 7f454c46 (\\x7fELF)";
    }

    private KbuildException Truncated(string what) => new(ErrorCodes.ElfTruncated, Path,
        $"the file ends before {what} ({_length} bytes in all); it is truncated: delete it and rebuild it.");

    private KbuildException HeaderError(string what) => new(ErrorCodes.ElfHeaderInvalid, Path,
        $"the ELF header {what}; the file is corrupt or not a supported ELF file: rebuild it.");

    private KbuildException SectionError(ElfSection section, string what) => new(ErrorCodes.ElfSectionInvalid, Path,
        $"section [{section.Index}] '{section.Name}' {what}; the file is corrupt: delete it and rebuild it.");
}
