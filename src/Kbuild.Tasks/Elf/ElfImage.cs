namespace Kbuild.Elf;

// API CONTRACT (stub): the Elf helper implements these; other areas may code against them now.

public enum ElfClass { Elf32 = 1, Elf64 = 2 }

public enum ElfSymbolType : byte { NoType = 0, Object = 1, Func = 2, Section = 3, File = 4, Common = 5, Tls = 6, GnuIFunc = 10 }

public enum ElfSymbolBinding : byte { Local = 0, Global = 1, Weak = 2, GnuUnique = 10 }

/// <summary>A section header, as read from the file.</summary>
public sealed record ElfSection(int Index, string Name, uint Type, ulong Flags, ulong Address, ulong Offset,
    ulong Size, uint Link, uint Info, ulong EntrySize)
{
    public const uint SHT_NOBITS = 8;
    public const ulong SHF_ALLOC = 2;
    public bool IsAllocated => (Flags & SHF_ALLOC) != 0;
    public bool HasFileContents => Type != SHT_NOBITS;
}

/// <summary>A raw .symtab entry; SectionIndex already resolved through SHT_SYMTAB_SHNDX.</summary>
public readonly record struct ElfSymbol(int TableIndex, string Name, ulong Value, ulong Size,
    ElfSymbolType Type, ElfSymbolBinding Binding, byte Visibility, uint SectionIndex)
{
    public const uint SHN_UNDEF = 0, SHN_ABS = 0xFFF1, SHN_COMMON = 0xFFF2;
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
public sealed class ElfImage : IDisposable
{
    public static ElfImage Open(string path) => throw new NotImplementedException();

    /// <summary>An ELF stored at [offset, offset+length) of a container file (a regular archive member).</summary>
    public static ElfImage Open(string path, long offset, long length, string displayName) => throw new NotImplementedException();

    public string Path => throw new NotImplementedException();
    public ElfClass Class => throw new NotImplementedException();
    public bool IsLittleEndian => throw new NotImplementedException();
    public ushort Machine => throw new NotImplementedException();
    /// <summary>e_type: 1 REL, 2 EXEC, 3 DYN.</summary>
    public ushort FileType => throw new NotImplementedException();
    public IReadOnlyList<ElfSection> Sections => throw new NotImplementedException();
    public ElfSection? FindSection(string name) => throw new NotImplementedException();

    /// <summary>.symtab entries in table order, without the null entry 0.</summary>
    public IReadOnlyList<ElfSymbol> ReadSymbols() => throw new NotImplementedException();

    /// <summary>File offset of an address inside an allocated, non-NOBITS section; KB error otherwise.</summary>
    public long FileOffsetOf(ulong address) => throw new NotImplementedException();

    public byte[] ReadBytes(long fileOffset, int count) => throw new NotImplementedException();

    /// <summary>Relocations of a SHT_REL/SHT_RELA section, in order.</summary>
    public IReadOnlyList<ElfRelocation> ReadRelocations(ElfSection relocationSection) => throw new NotImplementedException();

    public void Dispose() { }
}
