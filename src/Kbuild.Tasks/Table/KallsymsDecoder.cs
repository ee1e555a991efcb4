using System.Buffers.Binary;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Symbols;

namespace Kbuild.Table;

/// <summary>
/// Reads a kallsyms table back out of a linked image the way the kernel's kernel/kallsyms.c does
/// (kallsyms_expand_symbol, kallsyms_sym_address), finding each array by its kallsyms_* symbol.
/// Independent of the kernel version: the symbols present tell the layout (offsets + relative base, offsets
/// relative to themselves (7.x), or absolute addresses).
/// </summary>
public static class KallsymsDecoder
{
    /// <summary>Memory of an image as the table sees it: bytes from an address to the end of its section.</summary>
    public interface IImage
    {
        string Name { get; }
        bool IsLittleEndian { get; }
        int PointerSize { get; }
        ulong? AddressOf(string symbol);
        ReadOnlySpan<byte> ReadFrom(ulong address);
    }

    /// <summary>The symbols of the table, in table order, with the addresses the kernel computes.</summary>
    /// <param name="absolutePercpu">CONFIG_KALLSYMS_ABSOLUTE_PERCPU: non-negative offsets are absolute values.</param>
    public static IReadOnlyList<NmSymbol> Decode(ElfImage image, bool absolutePercpu = false) =>
        Decode(new ElfTableImage(image), absolutePercpu);

    public static IReadOnlyList<NmSymbol> Decode(IImage image, bool absolutePercpu = false)
    {
        var reader = new Reader(image);
        try
        {
            return Decode(reader, absolutePercpu);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw reader.Inconsistent("an array ends before the data it should hold");
        }
        catch (IndexOutOfRangeException)
        {
            throw reader.Inconsistent("an array ends before the data it should hold");
        }
    }

    private static NmSymbol[] Decode(Reader reader, bool absolutePercpu)
    {
        var rawCount = reader.UInt32(reader.Require("kallsyms_num_syms"), 0);
        var tokenTable = reader.Array("kallsyms_token_table");
        var tokenIndex = reader.Array("kallsyms_token_index");
        var names = reader.Array("kallsyms_names");
        // Every symbol takes at least one byte of kallsyms_names: a larger count is damage, not an array to allocate.
        if (rawCount > (uint)names.Length)
            throw reader.Inconsistent($"kallsyms_num_syms is {rawCount}, more symbols than kallsyms_names ({names.Length} bytes) can hold");
        var count = (int)rawCount;
        var markers = reader.Array("kallsyms_markers");
        var addresses = ReadAddresses(reader, count, absolutePercpu);

        var symbols = new NmSymbol[count];
        var expanded = new List<byte>(64);
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            if ((i & 0xFF) == 0 && reader.UInt32(markers, 4 * (i >> 8)) != offset)
                throw reader.Inconsistent($"kallsyms_markers[{i >> 8}] does not point at symbol {i}");
            var length = (int)names[offset++];
            if ((length & 0x80) != 0) length = length & 0x7F | names[offset++] << 7;
            expanded.Clear();
            foreach (var code in names.Slice(offset, length))
            {
                var token = tokenTable[reader.UInt16(tokenIndex, 2 * code)..];
                expanded.AddRange(token[..token.IndexOf((byte)0)]);
            }
            offset += length;
            if (expanded.Count == 0) throw reader.Inconsistent($"symbol {i} has an empty name");
            var bytes = expanded.ToArray();
            symbols[i] = new NmSymbol(addresses[i], (char)bytes[0], Encoding.Latin1.GetString(bytes, 1, bytes.Length - 1));
        }
        return symbols;
    }

    /// <summary>kallsyms_sym_address for every index.</summary>
    private static ulong[] ReadAddresses(Reader reader, int count, bool absolutePercpu)
    {
        var result = new ulong[count];
        var mask = reader.Image.PointerSize == 8 ? ulong.MaxValue : uint.MaxValue;
        if (reader.Image.AddressOf("kallsyms_offsets") is null)
        {
            var addresses = reader.Array("kallsyms_addresses");
            for (var i = 0; i < count; i++) result[i] = reader.Pointer(addresses, i * reader.Image.PointerSize);
            return result;
        }
        var offsets = reader.Array("kallsyms_offsets");
        if (reader.Image.AddressOf("kallsyms_relative_base") is null)
        {
            // 7.x --pc-relative: offset_to_ptr(&kallsyms_offsets[i]).
            var start = reader.Require("kallsyms_offsets");
            for (var i = 0; i < count; i++)
                result[i] = mask & unchecked(start + 4 * (ulong)i + (ulong)(long)(int)reader.UInt32(offsets, 4 * i));
            return result;
        }
        var relativeBase = reader.Pointer(reader.Array("kallsyms_relative_base"), 0);
        for (var i = 0; i < count; i++)
        {
            var offset = (int)reader.UInt32(offsets, 4 * i);
            result[i] = mask & (!absolutePercpu ? relativeBase + (uint)offset
                : offset >= 0 ? (ulong)offset
                : relativeBase - 1 - unchecked((ulong)(long)offset));
        }
        return result;
    }

    private sealed class Reader(IImage image)
    {
        public IImage Image { get; } = image;

        public ulong Require(string symbol) =>
            Image.AddressOf(symbol) ?? throw new KbuildException(ErrorCodes.KallsymsTableUnreadable, Image.Name,
                $"the image has no '{symbol}' symbol, so it carries no kallsyms table; link it with the table (CONFIG_KALLSYMS).");

        public ReadOnlySpan<byte> Array(string symbol) => Image.ReadFrom(Require(symbol));

        public uint UInt32(ulong address, int offset) => UInt32(Image.ReadFrom(address), offset);

        public uint UInt32(ReadOnlySpan<byte> data, int offset) => new ByteOrder(Image.IsLittleEndian).U32(data[offset..]);

        public ushort UInt16(ReadOnlySpan<byte> data, int offset) => new ByteOrder(Image.IsLittleEndian).U16(data[offset..]);

        public ulong Pointer(ReadOnlySpan<byte> data, int offset) =>
            new ByteOrder(Image.IsLittleEndian).Pointer(data[offset..], wide: Image.PointerSize == 8);

        public KbuildException Inconsistent(string what) =>
            new(ErrorCodes.KallsymsTableUnreadable, Image.Name,
                $"the kallsyms table is inconsistent: {what}. The image's table is damaged or was patched wrongly; relink it.");
    }

    /// <summary>The table's labels in a linked image: each defined kallsyms_* symbol by name (the first of a name).</summary>
    public static Dictionary<string, ElfSymbol> Labels(ElfImage image) => image.ReadSymbols()
        .Where(s => !s.IsUndefined && s.Name.StartsWith("kallsyms_", StringComparison.Ordinal))
        .GroupBy(s => s.Name)
        .ToDictionary(g => g.Key, g => g.First());

    /// <summary>An ELF file: arrays found through .symtab, bytes read from the section that holds them.</summary>
    private sealed class ElfTableImage(ElfImage elf) : IImage
    {
        private readonly Dictionary<string, ulong> _symbols = Labels(elf).ToDictionary(l => l.Key, l => l.Value.Value);
        private readonly Dictionary<int, byte[]> _sections = [];

        public string Name => elf.Path;
        public bool IsLittleEndian => elf.IsLittleEndian;
        public int PointerSize => elf.Class == ElfClass.Elf64 ? 8 : 4;
        public ulong? AddressOf(string symbol) => _symbols.TryGetValue(symbol, out var a) ? a : null;

        public ReadOnlySpan<byte> ReadFrom(ulong address)
        {
            var section = elf.Sections.FirstOrDefault(s => s.IsAllocated && s.HasFileContents &&
                                                            address >= s.Address && address < s.Address + s.Size)
                ?? throw new KbuildException(ErrorCodes.KallsymsTableUnreadable, elf.Path,
                    $"address 0x{address:x} of a kallsyms array is in no section with file contents; the image is not a linked kernel.");
            if (!_sections.TryGetValue(section.Index, out var bytes))
                _sections[section.Index] = bytes = AsRelocated(section, elf.ReadSection(section));
            return bytes.AsSpan((int)(address - section.Address));
        }

        // A -pie image (arm64) linked with --no-apply-dynamic-relocs leaves the slots of its dynamic relocations zero;
        // the kernel writes "load offset + addend" there at boot. Read such a slot as at offset 0: the addend.
        private byte[] AsRelocated(ElfSection section, byte[] bytes)
        {
            foreach (var dynamic in elf.Sections.Where(s => s.Type == ElfSection.SHT_RELA && s.Info == 0))
            {
                foreach (var r in elf.ReadRelocations(dynamic))
                {
                    if (r.SymbolIndex != 0 || r.Offset < section.Address || (ulong)bytes.Length < (ulong)PointerSize
                        || r.Offset - section.Address > (ulong)(bytes.Length - PointerSize))
                        continue;
                    var slot = bytes.AsSpan((int)(r.Offset - section.Address), PointerSize);
                    if (slot.ContainsAnyExcept((byte)0)) continue;
                    elf.ByteOrder.WritePointer(slot, unchecked((ulong)r.Addend), wide: PointerSize == 8);
                }
            }
            return bytes;
        }
    }
}
