using Kbuild.Elf;
namespace Kbuild.Symbols;

/// <summary>
/// The symbol type letters of GNU nm 2.40 for ELF: binutils' <c>bfd_decode_symclass</c> applied to the flags and
/// sections <c>elf_slurp_symbol_table</c> and <c>_bfd_elf_make_section_from_shdr</c> give a symbol.
/// </summary>
public sealed class NmClassifier
{
    private const ushort EM_X86_64 = 62;
    private static readonly uint SHN_X86_64_LCOMMON = ElfSymbol.ReservedIndex(0xFF02);

    /// <summary>Lowercase letter per section index; '\0' where BFD makes no section (symbols there are absolute).</summary>
    private readonly char[] _sectionLetters;
    private readonly ulong[] _sectionAddresses;
    private readonly bool _relocatable;
    private readonly bool _hasLargeCommon;

    public NmClassifier(ElfImage image)
    {
        var sections = image.Sections;
        _sectionLetters = new char[sections.Count];
        _sectionAddresses = new ulong[sections.Count];
        int symtab = sections.FirstOrDefault(s => s.Type == ElfSection.SHT_SYMTAB)?.Index ?? -1;
        int symbolNames = symtab < 0 ? -1 : (int)sections[symtab].Link;
        foreach (var s in sections)
        {
            bool hasBfdSection = s.Index != 0 && s.Index != symtab && s.Index != symbolNames && s.Index != image.SectionNameTableIndex
                && s.Type != ElfSection.SHT_SYMTAB_SHNDX && !IsRelocationsOfThisFile(s, symtab);
            _sectionLetters[s.Index] = hasBfdSection ? SectionLetter(s) : '\0';
            _sectionAddresses[s.Index] = s.Address;
        }
        _relocatable = image.FileType is not (ElfImage.ET_EXEC or ElfImage.ET_DYN);
        _hasLargeCommon = image.Machine == EM_X86_64;
    }

    /// <summary>nm skips section and file symbols (BFD marks them BSF_DEBUGGING).</summary>
    public static bool IsListed(in ElfSymbol symbol) =>
        symbol.Type is not (ElfSymbolType.Section or ElfSymbolType.File);

    /// <summary>The type letter nm prints.</summary>
    public char TypeOf(in ElfSymbol symbol) =>
        IsCommonSection(symbol.SectionIndex) ? 'C' : TypeOf(symbol, SectionLetterOf(symbol.SectionIndex));

    /// <summary>The letter nm would print for a non-common <paramref name="symbol"/> whose section decodes as <paramref name="sectionLetter"/>.</summary>
    public static char TypeOf(in ElfSymbol symbol, char sectionLetter)
    {
        bool isObject = symbol.Type is ElfSymbolType.Object or ElfSymbolType.Common;
        if (symbol.SectionIndex == ElfSymbol.SHN_UNDEF)
            return symbol.Binding == ElfSymbolBinding.Weak ? (isObject ? 'v' : 'w') : 'U';
        if (symbol.Type == ElfSymbolType.GnuIFunc) return 'i';
        switch (symbol.Binding)
        {
            case ElfSymbolBinding.Weak: return isObject ? 'V' : 'W';
            case ElfSymbolBinding.GnuUnique: return 'u';
            case ElfSymbolBinding.Local or ElfSymbolBinding.Global: break;
            default: return '?';
        }
        char letter = sectionLetter;
        return symbol.Binding == ElfSymbolBinding.Global ? char.ToUpperInvariant(letter) : letter;
    }

    /// <summary>The value nm prints and sorts by: the size for commons, section address + value in relocatable files.</summary>
    public ulong ValueOf(in ElfSymbol symbol)
    {
        if (IsCommonSection(symbol.SectionIndex)) return symbol.Size;
        if (_relocatable && symbol.SectionIndex < _sectionLetters.Length && _sectionLetters[symbol.SectionIndex] != '\0')
            return _sectionAddresses[symbol.SectionIndex] + symbol.Value;
        return symbol.Value;
    }

    /// <summary>nm prints blanks instead of an address for these (bfd_is_undefined_symclass).</summary>
    public static bool IsUndefinedClass(char type) => type is 'U' or 'w' or 'v';

    private bool IsCommonSection(uint index) =>
        index == ElfSymbol.SHN_COMMON || (_hasLargeCommon && index == SHN_X86_64_LCOMMON);

    private char SectionLetterOf(uint index) =>
        index < _sectionLetters.Length && _sectionLetters[index] != '\0' ? _sectionLetters[index] : 'a';

    // BFD attaches a non-allocated REL/RELA section that uses the main symbol table to its target section
    // instead of making a section of it.
    private static bool IsRelocationsOfThisFile(ElfSection s, int symtab) =>
        s.Type is ElfSection.SHT_REL or ElfSection.SHT_RELA && !s.IsAllocated && s.Link == symtab && s.Info != 0;

    /// <summary>coff_section_type (by name) then decode_section_type (by BFD flags), lowercase.</summary>
    public static char SectionLetter(ElfSection s)
    {
        char byName = LetterByName(s.Name);
        if (byName != '?') return byName;
        bool hasContents = s.Type != ElfSection.SHT_NOBITS;
        bool load = (s.Flags & ElfSection.SHF_ALLOC) != 0 && hasContents;
        if ((s.Flags & ElfSection.SHF_EXECINSTR) != 0) return 't';
        if (load) return (s.Flags & ElfSection.SHF_WRITE) == 0 ? 'r' : 'd';
        if (!hasContents) return 'b';
        if ((s.Flags & ElfSection.SHF_ALLOC) == 0 && IsDebugSectionName(s.Name)) return 'N';
        if ((s.Flags & ElfSection.SHF_WRITE) == 0) return 'n';
        return '?';
    }

    // binutils 2.40 syms.c `stt`: only these PE names are decoded by name (checked against nm: ".text",
    // ".data", ".bss", ".rodata", ".sdata" and the like are decoded from the section flags); a prefix
    // counts when followed by NUL, '.', '$' or a digit.
    private static readonly (string Prefix, char Letter)[] LettersByName =
        [(".drectve", 'i'), (".edata", 'e'), (".idata", 'i'), (".pdata", 'p')];

    private static char LetterByName(string name)
    {
        foreach (var (prefix, letter) in LettersByName)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (name.Length == prefix.Length) return letter;
            char next = name[prefix.Length];
            if (next is '.' or '$' || char.IsAsciiDigit(next)) return letter;
        }
        return '?';
    }

    // _bfd_elf_make_section_from_shdr: debugging sections are recognised by name only.
    private static bool IsDebugSectionName(string name) =>
        name.StartsWith(".debug", StringComparison.Ordinal) || name.StartsWith(".gnu.debuglto_.debug_", StringComparison.Ordinal)
        || name.StartsWith(".gnu.linkonce.wi.", StringComparison.Ordinal) || name.StartsWith(".zdebug", StringComparison.Ordinal)
        || name.StartsWith(".line", StringComparison.Ordinal) || name.StartsWith(".stab", StringComparison.Ordinal)
        || name == ".gdb_index";
}
