using System.Buffers.Binary;
using System.Text;
using Kbuild.Elf;

namespace Kbuild.Table;

/// <summary>
/// The reservation object written directly, byte for byte what GNU as makes of
/// <see cref="KallsymsAssembly.WriteReservation"/>'s text on x86-64 (the tests compare it with <c>gcc -c</c>), so a
/// reservation costs no compiler driver, preprocessor and assembler processes. Sections as GAS orders them (.text,
/// .data, .bss empty; .rodata with the rooms; .rela.rodata; .symtab; .strtab; .shstrtab), every label global NOTYPE
/// size 0, <c>_text</c> undefined, symbols in the order the text names them, one R_X86_64_64 per pointer slot.
/// Other targets (and a table without pointer slots) go through the assembler as before.
/// </summary>
public static class ReservationObjectWriter
{
    private const ushort EM_X86_64 = 62;
    private const uint R_X86_64_64 = 1;
    private const int SectionHeaderSize = 64, SymbolSize = 24, RelaSize = 24;

    public static bool Supports(ushort machine, KallsymsTable table) =>
        machine == EM_X86_64 && table.Target is { Class: ElfClass.Elf64, IsLittleEndian: true }
        && table.Arrays.Any(a => a.TextRelocations.Count > 0)
        && table.Arrays.All(a => a.RelocationKind == TextRelocationKind.Pointer && !a.HasSize);

    public static byte[] Write(KallsymsTable table, IReadOnlyDictionary<string, int> reservedSizes)
    {
        // .rodata: each array at its alignment, its room reserved; symbols in the order of the text.
        var symbols = new List<(string Name, ulong Value, bool Defined)>();
        var relocations = new List<(ulong Offset, long Addend)>();
        var textIndex = -1;
        ulong size = 0;
        var alignment = 1;
        foreach (var array in table.Arrays)
        {
            alignment = Math.Max(alignment, array.Alignment);
            size = (ulong)KallsymsTable.AlignUp((int)size, array.Alignment);
            symbols.Add((array.SymbolName, size, true));
            foreach (var r in array.TextRelocations)
            {
                if (textIndex < 0) { textIndex = symbols.Count; symbols.Add(("_text", 0, false)); }
                relocations.Add((size + (ulong)r.Offset, r.Addend));
            }
            size += (ulong)reservedSizes[array.SymbolName];
        }

        var strtab = new MemoryStream();
        strtab.WriteByte(0);
        var nameOffsets = symbols.Select(s =>
        {
            var offset = (uint)strtab.Length;
            strtab.Write(Encoding.ASCII.GetBytes(s.Name));
            strtab.WriteByte(0);
            return offset;
        }).ToList();
        var shstrtab = "\0.symtab\0.strtab\0.shstrtab\0.text\0.data\0.bss\0.rela.rodata\0"u8.ToArray();
        const uint symtabName = 1, strtabName = 9, shstrtabName = 17, textName = 27, dataName = 33, bssName = 39, relaName = 44, rodataName = 49;

        const long rodataOffset = 64;
        var symtabOffset = Align(rodataOffset + (long)size, 8);
        var symtabSize = SymbolSize * (symbols.Count + 1);
        var strtabOffset = symtabOffset + symtabSize;
        var relaOffset = Align(strtabOffset + strtab.Length, 8);
        var relaSize = RelaSize * relocations.Count;
        var shstrtabOffset = relaOffset + relaSize;
        var headersOffset = Align(shstrtabOffset + shstrtab.Length, 8);
        var image = new byte[headersOffset + 9 * SectionHeaderSize];
        var span = image.AsSpan();

        "\x7f"u8.CopyTo(span);
        "ELF"u8.CopyTo(span[1..]);
        span[4] = 2; span[5] = 1; span[6] = 1;  // ELFCLASS64, little-endian, EV_CURRENT
        U16(span, 16, 1); U16(span, 18, EM_X86_64); U32(span, 20, 1);  // ET_REL
        U64(span, 40, (ulong)headersOffset);
        U16(span, 52, 64); U16(span, 58, SectionHeaderSize); U16(span, 60, 9); U16(span, 62, 8);

        for (var i = 0; i < symbols.Count; i++)
        {
            var at = (int)symtabOffset + SymbolSize * (i + 1);
            U32(span, at, nameOffsets[i]);
            span[at + 4] = 0x10;  // STB_GLOBAL, STT_NOTYPE
            U16(span, at + 6, (ushort)(symbols[i].Defined ? 4 : 0));
            U64(span, at + 8, symbols[i].Value);
        }
        strtab.ToArray().CopyTo(span[(int)strtabOffset..]);
        for (var i = 0; i < relocations.Count; i++)
        {
            var at = (int)relaOffset + RelaSize * i;
            U64(span, at, relocations[i].Offset);
            U64(span, at + 8, ((ulong)(textIndex + 1) << 32) | R_X86_64_64);
            U64(span, at + 16, unchecked((ulong)relocations[i].Addend));
        }
        shstrtab.CopyTo(span[(int)shstrtabOffset..]);

        void Section(int index, uint name, uint type, ulong flags, long offset, long length, uint link, uint info, ulong align, ulong entrySize)
        {
            var span = image.AsSpan();
            var at = (int)headersOffset + SectionHeaderSize * index;
            U32(span, at, name); U32(span, at + 4, type); U64(span, at + 8, flags);
            U64(span, at + 24, (ulong)offset); U64(span, at + 32, (ulong)length);
            U32(span, at + 40, link); U32(span, at + 44, info); U64(span, at + 48, align); U64(span, at + 56, entrySize);
        }
        const ulong A = ElfSection.SHF_ALLOC, W = ElfSection.SHF_WRITE, X = ElfSection.SHF_EXECINSTR, InfoLink = 0x40;
        Section(1, textName, ElfSection.SHT_PROGBITS, A | X, rodataOffset, 0, 0, 0, 1, 0);
        Section(2, dataName, ElfSection.SHT_PROGBITS, W | A, rodataOffset, 0, 0, 0, 1, 0);
        Section(3, bssName, ElfSection.SHT_NOBITS, W | A, rodataOffset, 0, 0, 0, 1, 0);
        Section(4, rodataName, ElfSection.SHT_PROGBITS, A, rodataOffset, (long)size, 0, 0, (ulong)alignment, 0);
        Section(5, relaName, ElfSection.SHT_RELA, InfoLink, relaOffset, relaSize, 6, 4, 8, RelaSize);
        Section(6, symtabName, ElfSection.SHT_SYMTAB, 0, symtabOffset, symtabSize, 7, 1, 8, SymbolSize);
        Section(7, strtabName, ElfSection.SHT_STRTAB, 0, strtabOffset, strtab.Length, 0, 0, 1, 0);
        Section(8, shstrtabName, ElfSection.SHT_STRTAB, 0, shstrtabOffset, shstrtab.Length, 0, 0, 1, 0);
        return image;
    }

    private static long Align(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
    private static void U16(Span<byte> s, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(s[at..], v);
    private static void U32(Span<byte> s, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(s[at..], v);
    private static void U64(Span<byte> s, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(s[at..], v);
}
