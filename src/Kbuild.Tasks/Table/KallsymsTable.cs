using Kbuild.Elf;
using Kbuild.Kernel;
using Kbuild.Symbols;

namespace Kbuild.Table;

/// <summary>A slot of an array that the kernel's .S writes relative to _text: "PTR _text + Addend" (a pointer) or
/// ".long _text - . + (Addend)" (7.x's PC-relative offsets).</summary>
public readonly record struct TextRelocation(int Offset, long Addend);

/// <summary>How an array's <see cref="TextRelocation"/> slots are linked.</summary>
public enum TextRelocationKind
{
    /// <summary>A pointer holding _text + addend (kallsyms_relative_base, kallsyms_addresses).</summary>
    Pointer,
    /// <summary>32 bits holding _text + addend - the slot's own address (7.x kallsyms_offsets).</summary>
    PcRelative32,
}

/// <summary>
/// One array of the table: the label symbol, its bytes as they appear in the linked image (pointer slots already hold
/// _text + addend; PC-relative slots depend on where the array lands, see <see cref="LinkedAt"/>), the alignment of the
/// label, and whether the label has a size (7.3's ".size").
/// </summary>
public sealed record KallsymsArray(
    KallsymsArrayKind Kind, string SymbolName, byte[] Bytes, int Alignment, IReadOnlyList<TextRelocation> TextRelocations,
    TextRelocationKind RelocationKind = TextRelocationKind.Pointer, bool HasSize = false)
{
    public int Size => Bytes.Length;

    /// <summary>The value the linker gives slot <paramref name="relocation"/> of this array at <paramref name="address"/>,
    /// with _text at <paramref name="textAddress"/>.</summary>
    public ulong LinkedValue(TextRelocation relocation, ulong address, ulong textAddress) => RelocationKind == TextRelocationKind.Pointer
        ? unchecked(textAddress + (ulong)relocation.Addend)
        : unchecked((uint)(textAddress + (ulong)relocation.Addend - (address + (ulong)relocation.Offset)));

    /// <summary>The array's bytes as the linker writes them at <paramref name="address"/>.</summary>
    public byte[] LinkedAt(ulong address, ulong textAddress, ByteOrder byteOrder)
    {
        if (RelocationKind == TextRelocationKind.Pointer) return Bytes;
        var bytes = (byte[])Bytes.Clone();
        foreach (var r in TextRelocations) byteOrder.WriteU32(bytes.AsSpan(r.Offset), (uint)LinkedValue(r, address, textAddress));
        return bytes;
    }
}

/// <summary>
/// The kallsyms table of one symbol set: every array the kernel's scripts/kallsyms would emit, in the
/// layout's emission order, for one target.
/// </summary>
public sealed class KallsymsTable
{
    internal KallsymsTable(KallsymsLayout layout, KallsymsOptions options, KallsymsTarget target,
        IReadOnlyList<KallsymsArray> arrays, IReadOnlyList<NmSymbol> symbols, ulong textAddress, ulong? relativeBase,
        IReadOnlyList<string> warnings)
    {
        Layout = layout;
        Options = options;
        Target = target;
        Arrays = arrays;
        Symbols = symbols;
        TextAddress = textAddress;
        RelativeBase = relativeBase;
        Warnings = warnings;
    }

    public KallsymsLayout Layout { get; }
    public KallsymsOptions Options { get; }
    public KallsymsTarget Target { get; }

    /// <summary>The arrays in emission order.</summary>
    public IReadOnlyList<KallsymsArray> Arrays { get; }

    /// <summary>The symbols in table order (address order), with the type letter stored in the table.</summary>
    public IReadOnlyList<NmSymbol> Symbols { get; }

    /// <summary>Address of _text in the input (0 when the map has none); pointer slots are relative to it.</summary>
    public ulong TextAddress { get; }

    /// <summary>The value kallsyms_relative_base holds, or null for the absolute (kallsyms_addresses) layout.</summary>
    public ulong? RelativeBase { get; }

    /// <summary>Diagnostics the kernel's tool prints without failing (e.g. over-long names it leaves out).</summary>
    public IReadOnlyList<string> Warnings { get; }

    public KallsymsArray this[KallsymsArrayKind kind] => Arrays.First(a => a.Kind == kind);

    public KallsymsArray? Find(string symbolName) => Arrays.FirstOrDefault(a => a.SymbolName == symbolName);

    internal static int AlignUp(int value, int alignment) => (value + alignment - 1) / alignment * alignment;
}
