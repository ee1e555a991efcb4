using Kbuild.Symbols;

namespace Kbuild.Table;

/// <summary>A pointer-sized slot in an array that the kernel's .S writes as "PTR _text + Addend".</summary>
public readonly record struct TextRelocation(int Offset, long Addend);

/// <summary>
/// One array of the table: the label symbol, its bytes as they appear in the linked image (pointer slots
/// already hold _text + addend), and the alignment of the label.
/// </summary>
public sealed record KallsymsArray(
    KallsymsArrayKind Kind, string SymbolName, byte[] Bytes, int Alignment, IReadOnlyList<TextRelocation> TextRelocations)
{
    public int Size => Bytes.Length;
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
