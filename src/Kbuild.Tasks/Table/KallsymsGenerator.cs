using System.Buffers.Binary;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Kernel;
using Kbuild.Symbols;

namespace Kbuild.Table;

/// <summary>
/// Port of the kernel's scripts/kallsyms main(): read_map, shrink_table, make_percpus_absolute (6.x),
/// sort_symbols, record_relative_base (6.x), optimize_token_table, write_src — but producing bytes.
/// </summary>
public sealed class KallsymsGenerator
{
    /// <summary>KSYM_NAME_LEN: names of this many bytes or more are left out.</summary>
    public const int MaxNameLength = 512;

    private sealed class Entry(ulong address, string name, byte[] symbol, int startPosition)
    {
        public ulong Address = address;
        /// <summary>The input's name string, reused for <see cref="KallsymsTable.Symbols"/>.</summary>
        public readonly string NameText = name;
        /// <summary>Type letter followed by the name bytes (sym[] in the C).</summary>
        public readonly byte[] Symbol = symbol;
        public readonly int StartPosition = startPosition;
        public bool PercpuAbsolute;
        public ReadOnlySpan<byte> Name => Symbol.AsSpan(1);
    }

    private sealed class AddressRange(string startSymbol, string endSymbol, ulong start = 0, ulong end = 0)
    {
        public readonly string StartSymbol = startSymbol, EndSymbol = endSymbol;
        public ulong Start = start, End = end;
        public bool Contains(ulong address) => address >= Start && address <= End;
    }

    private readonly KallsymsLayout _layout;
    private readonly KallsymsOptions _options;
    private readonly KallsymsTarget _target;
    private readonly string? _mapFile;
    private readonly bool _baseRelative;
    private readonly bool _pcRelative;
    private readonly AddressRange _text = new(KallsymsLayout.TextRanges[0].Start, KallsymsLayout.TextRanges[0].End);
    private readonly AddressRange _initText = new(KallsymsLayout.TextRanges[1].Start, KallsymsLayout.TextRanges[1].End);
    private readonly AddressRange _percpu = new("__per_cpu_start", "__per_cpu_end", ulong.MaxValue, 0);
    private readonly List<string> _warnings = [];
    private ulong _textAddress;
    private ulong _relativeBase;
    private Entry[] _table = [];
    private Func<byte[][], CompressedNames> _compressNames = CompressedNames.Compress;

    private KallsymsGenerator(KallsymsLayout layout, KallsymsOptions options, KallsymsTarget target, string? mapFile)
    {
        if (options.LtoClang && !layout.HasLtoClangOption)
            throw new KbuildException(ErrorCodes.KallsymsOptionUnsupported, mapFile,
                $"scripts/kallsyms of Linux {layout.Description} has no --lto-clang option; leave LtoClang off for this kernel.");
        if (options.AbsolutePercpu && !layout.HasAbsolutePercpuOption)
            throw new KbuildException(ErrorCodes.KallsymsOptionUnsupported, mapFile,
                $"scripts/kallsyms of Linux {layout.Description} has no --absolute-percpu option; leave AbsolutePercpu off for this kernel.");
        _layout = layout;
        _options = options;
        _target = target;
        _mapFile = mapFile;
        _baseRelative = layout.IsBaseRelative(options.BaseRelative);
        _pcRelative = layout.Offsets == KallsymsOffsets.PcRelativeSwitch && options.PcRelative;
    }

    /// <param name="map">The symbols as System.map lists them (mksysmap output), in map order.</param>
    /// <param name="mapFile">Where the symbols came from, for diagnostics.</param>
    /// <param name="compressNames">How the names are compressed: the kernel's optimize_token_table
    /// (<see cref="CompressedNames.Compress(byte[][])"/>) unless the caller keeps the result of the same names (a build's
    /// reservation and patch: <see cref="CompressedNames.KeptIn"/>).</param>
    public static KallsymsTable Generate(IReadOnlyList<NmSymbol> map, KallsymsLayout layout, KallsymsOptions options,
        KallsymsTarget target, string? mapFile = null, Func<byte[][], CompressedNames>? compressNames = null)
    {
        var generator = new KallsymsGenerator(layout, options, target, mapFile) { _compressNames = compressNames ?? CompressedNames.Compress };
        generator.ReadMap(map);
        generator.ShrinkTable();
        if (options.AbsolutePercpu) generator.MakePercpusAbsolute();
        generator.SortSymbols();
        if (generator._baseRelative) generator.RecordRelativeBase();
        return generator.WriteTable();
    }

    private void ReadMap(IReadOnlyList<NmSymbol> map)
    {
        var entries = new List<Entry>(map.Count);
        foreach (var s in map)
        {
            var nameLength = Encoding.Latin1.GetByteCount(s.Name);
            if (nameLength >= MaxNameLength)
            {
                _warnings.Add($"Symbol {s.Name} too long for kallsyms ({nameLength} >= {MaxNameLength}); it is left out of the table, as the kernel's scripts/kallsyms does.");
                continue;
            }
            if (s.Name == "_text") _textAddress = s.Address;
            if (_layout.IgnoreRules.IsIgnored(s.Name, s.Type)) continue;
            CheckSymbolRange(s.Name, s.Address, _text, _initText);
            CheckSymbolRange(s.Name, s.Address, _percpu);

            var symbol = new byte[nameLength + 1];
            symbol[0] = (byte)s.Type;
            Encoding.Latin1.GetBytes(s.Name, symbol.AsSpan(1));
            entries.Add(new Entry(s.Address, s.Name, symbol, entries.Count));
        }
        _table = [.. entries];
    }

    private static void CheckSymbolRange(string name, ulong address, params ReadOnlySpan<AddressRange> ranges)
    {
        foreach (var range in ranges)
        {
            if (name == range.StartSymbol) { range.Start = address; return; }
            if (name == range.EndSymbol) { range.End = address; return; }
        }
    }

    private bool SymbolValid(Entry s)
    {
        if (_options.AllSymbols) return true;
        if (_layout.KeepsSectionBoundsOutsideText &&
            (s.Name.StartsWith("__start_"u8) || s.Name.StartsWith("__stop_"u8)))
            return true;
        if (!_text.Contains(s.Address) && !_initText.Contains(s.Address)) return false;
        // Corner case: symbols at _etext / _einittext can move between passes when the table is added.
        return !(s.Address == _text.End && !s.Name.SequenceEqual("_etext"u8) ||
                 s.Address == _initText.End && !s.Name.SequenceEqual("_einittext"u8));
    }

    private void ShrinkTable()
    {
        _table = Array.FindAll(_table, SymbolValid);
        if (_table.Length == 0 && _layout.EmptyTableIsError)
            throw new KbuildException(ErrorCodes.KallsymsNoValidSymbol, _mapFile,
                "No valid symbol: every symbol of the map was filtered out. Check that the map has _stext/_etext " +
                "(or use AllSymbols), as scripts/kallsyms of Linux " + _layout.Description + " refuses an empty table.");
    }

    private void MakePercpusAbsolute()
    {
        foreach (var s in _table)
            if (_percpu.Contains(s.Address))
            {
                // The 'A' override keeps the output identical to older versions of the tool.
                s.Symbol[0] = (byte)'A';
                s.PercpuAbsolute = true;
            }
    }

    /// <summary>Guess for "linker script PROVIDE" symbols, which sort after others at the same address.</summary>
    private static bool MayBeLinkerScriptProvideSymbol(ReadOnlySpan<byte> name)
    {
        if (name.Length < 8 || name[0] != '_' || name[1] != '_') return false;
        var rest = name[2..];
        return rest.StartsWith("start_"u8) || rest.StartsWith("stop_"u8) || rest.StartsWith("end_"u8) ||
               name.EndsWith("_start"u8) || name.EndsWith("_end"u8);
    }

    private static int CompareSymbols(Entry a, Entry b)
    {
        if (a.Address != b.Address) return a.Address > b.Address ? 1 : -1;
        var weakA = a.Symbol[0] is (byte)'w' or (byte)'W';
        var weakB = b.Symbol[0] is (byte)'w' or (byte)'W';
        if (weakA != weakB) return weakA ? 1 : -1;
        var providedA = MayBeLinkerScriptProvideSymbol(a.Name);
        var providedB = MayBeLinkerScriptProvideSymbol(b.Name);
        if (providedA != providedB) return providedA ? 1 : -1;
        var underscoresA = a.Name.IndexOfAnyExcept((byte)'_');
        var underscoresB = b.Name.IndexOfAnyExcept((byte)'_');
        if (underscoresA < 0) underscoresA = a.Name.Length;
        if (underscoresB < 0) underscoresB = b.Name.Length;
        if (underscoresA != underscoresB) return underscoresA - underscoresB;
        return a.StartPosition - b.StartPosition;
    }

    private void SortSymbols() => Array.Sort(_table, CompareSymbols);

    /// <summary>The first (lowest) address of a symbol that is not per-cpu absolute.</summary>
    private void RecordRelativeBase()
    {
        foreach (var s in _table)
            if (!s.PercpuAbsolute)
            {
                _relativeBase = s.Address;
                return;
            }
    }

    private KallsymsTable WriteTable()
    {
        var compressor = _compressNames(Array.ConvertAll(_table, s => s.Symbol));
        var (names, markers) = NamesAndMarkers(compressor);
        var (tokenTable, tokenIndex) = TokenTableAndIndex(compressor);
        var arrays = _layout.EmittedArrays(_baseRelative).Select(kind => kind switch
        {
            KallsymsArrayKind.OffsetsOrAddresses =>
                _baseRelative ? Offsets() : _layout.Offsets == KallsymsOffsets.PcRelativeSwitch ? PcRelativeOffsets() : Addresses(),
            KallsymsArrayKind.RelativeBase => RelativeBaseArray(),
            KallsymsArrayKind.NumSyms => NumSyms(),
            KallsymsArrayKind.Names => names,
            KallsymsArrayKind.Markers => markers,
            KallsymsArrayKind.SeqsOfNames => SeqsOfNames(),
            KallsymsArrayKind.TokenTable => tokenTable,
            KallsymsArrayKind.TokenIndex => tokenIndex,
            _ => throw new InvalidOperationException($"unknown kallsyms array {kind}"),
        }).ToList();
        var symbols = Array.ConvertAll(_table,
            s => new NmSymbol(s.Address, (char)s.Symbol[0], s.NameText));
        return new KallsymsTable(_layout, _options, _target, arrays, symbols, _textAddress,
            _baseRelative ? _relativeBase : null, _warnings);
    }

    private KallsymsArray NewArray(KallsymsArrayKind kind, byte[] bytes, IReadOnlyList<TextRelocation>? relocations = null,
        TextRelocationKind relocationKind = TextRelocationKind.Pointer) =>
        new(kind, _layout.ArraySymbolName(kind, _baseRelative), bytes, _layout.LabelAlignment ?? _target.Alignment, relocations ?? [],
            relocationKind, _layout.SizedArrays.Contains(kind));

    private void WritePointer(Span<byte> slot, ulong value)
    {
        new ByteOrder(_target.IsLittleEndian).WritePointer(slot, value, wide: _target.PointerSize == 8);
    }

    private void WriteUInt32(Span<byte> slot, uint value) => new ByteOrder(_target.IsLittleEndian).WriteU32(slot, value);

    private void WriteUInt16(Span<byte> slot, ushort value) => new ByteOrder(_target.IsLittleEndian).WriteU16(slot, value);

    /// <summary>A "PTR _text ± k" slot: the linked value plus the relocation that produces it.</summary>
    private TextRelocation TextRelative(Span<byte> slot, int offset, ulong address)
    {
        WritePointer(slot, address);
        return new TextRelocation(offset, unchecked((long)(address - _textAddress)));
    }

    /// <summary>kallsyms_offsets: 32-bit offsets from the relative base (or absolute per-cpu values).</summary>
    private KallsymsArray Offsets()
    {
        var bytes = new byte[4 * _table.Length];
        for (var i = 0; i < _table.Length; i++)
        {
            var s = _table[i];
            long offset;
            bool overflow;
            if (!_options.AbsolutePercpu)
            {
                offset = unchecked((long)(s.Address - _relativeBase));
                overflow = offset < 0 || offset > uint.MaxValue;
            }
            else if (s.PercpuAbsolute)
            {
                offset = unchecked((long)s.Address);
                overflow = offset < 0 || offset > int.MaxValue;
            }
            else
            {
                offset = unchecked((long)(_relativeBase - s.Address - 1));
                overflow = offset < int.MinValue || offset >= 0;
            }
            if (overflow && !_options.PlaceholderAddresses)
                throw new KbuildException(ErrorCodes.KallsymsRelativeOverflow, _mapFile,
                    $"kallsyms failure: {(s.PercpuAbsolute ? "absolute" : "relative")} symbol value {s.Address:x} " +
                    $"of '{Encoding.Latin1.GetString(s.Name)}' out of range in relative mode (relative base {_relativeBase:x}). " +
                    "The table stores 32-bit offsets; check the map's addresses and the AbsolutePercpu setting.");
            WriteUInt32(bytes.AsSpan(4 * i), unchecked((uint)offset));
        }
        return NewArray(KallsymsArrayKind.OffsetsOrAddresses, bytes);
    }

    /// <summary>
    /// 7.x kallsyms_offsets: with --pc-relative ".long _text - . + (addr - _text)" per symbol, a slot the linker fills
    /// relative to its own address (kernel: offset_to_ptr); without it ".long addr" (32-bit kernels).
    /// </summary>
    private KallsymsArray PcRelativeOffsets()
    {
        var bytes = new byte[4 * _table.Length];
        if (!_pcRelative)
        {
            for (var i = 0; i < _table.Length; i++) WriteUInt32(bytes.AsSpan(4 * i), unchecked((uint)_table[i].Address));
            return NewArray(KallsymsArrayKind.OffsetsOrAddresses, bytes);
        }
        var relocations = new TextRelocation[_table.Length];
        for (var i = 0; i < _table.Length; i++)
        {
            var offset = unchecked((long)(_table[i].Address - _textAddress));
            if (offset is < int.MinValue or > int.MaxValue && !_options.PlaceholderAddresses)
                throw new KbuildException(ErrorCodes.KallsymsRelativeOverflow, _mapFile,
                    $"kallsyms failure: relative symbol value {_table[i].Address:x} of '{_table[i].NameText}' out of range " +
                    $"(_text {_textAddress:x}): the table stores 32-bit offsets from _text; check the map's addresses.");
            relocations[i] = new TextRelocation(4 * i, (int)offset);
        }
        return NewArray(KallsymsArrayKind.OffsetsOrAddresses, bytes, relocations, TextRelocationKind.PcRelative32);
    }

    /// <summary>kallsyms_addresses: one pointer per symbol, _text-relative unless per-cpu absolute.</summary>
    private KallsymsArray Addresses()
    {
        var size = _target.PointerSize;
        var bytes = new byte[size * _table.Length];
        var relocations = new List<TextRelocation>(_table.Length);
        for (var i = 0; i < _table.Length; i++)
        {
            var slot = bytes.AsSpan(size * i, size);
            if (_table[i].PercpuAbsolute) WritePointer(slot, _table[i].Address);
            else relocations.Add(TextRelative(slot, size * i, _table[i].Address));
        }
        return NewArray(KallsymsArrayKind.OffsetsOrAddresses, bytes, relocations);
    }

    private KallsymsArray RelativeBaseArray()
    {
        var bytes = new byte[_target.PointerSize];
        var relocation = TextRelative(bytes, 0, _relativeBase);
        return NewArray(KallsymsArrayKind.RelativeBase, bytes, [relocation]);
    }

    private KallsymsArray NumSyms()
    {
        var bytes = new byte[4];
        WriteUInt32(bytes, (uint)_table.Length);
        return NewArray(KallsymsArrayKind.NumSyms, bytes);
    }

    /// <summary>kallsyms_names (ULEB128 length, then the compressed bytes) and a marker per 256 symbols.</summary>
    private (KallsymsArray Names, KallsymsArray Markers) NamesAndMarkers(CompressedNames compressor)
    {
        var markers = new byte[4 * ((_table.Length + 255) / 256)];
        var size = 0;
        for (var i = 0; i < _table.Length; i++)
        {
            var length = compressor.Compressed(i).Length;
            size += length + (length <= 0x7F ? 1 : 2);
        }
        var names = new byte[size];
        var offset = 0;
        for (var i = 0; i < _table.Length; i++)
        {
            if ((i & 0xFF) == 0) WriteUInt32(markers.AsSpan(4 * (i >> 8)), (uint)offset);
            var compressed = compressor.Compressed(i);
            // Names are shorter than KSYM_NAME_LEN, so the length always fits two ULEB128 bytes.
            if (compressed.Length <= 0x7F)
            {
                names[offset++] = (byte)compressed.Length;
            }
            else
            {
                names[offset++] = (byte)(compressed.Length & 0x7F | 0x80);
                names[offset++] = (byte)(compressed.Length >> 7 & 0x7F);
            }
            compressed.CopyTo(names.AsSpan(offset));
            offset += compressed.Length;
        }
        return (NewArray(KallsymsArrayKind.Names, names),
            NewArray(KallsymsArrayKind.Markers, markers));
    }

    /// <summary>kallsyms_seqs_of_names: table indices sorted by name, 3 bytes big-endian each.</summary>
    private KallsymsArray SeqsOfNames()
    {
        var keyLengths = Array.ConvertAll(_table, NameSortKeyLength);
        var order = new int[_table.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, new NameOrder(_table, keyLengths));
        var bytes = new byte[3 * order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            bytes[3 * i] = (byte)(order[i] >> 16);
            bytes[3 * i + 1] = (byte)(order[i] >> 8);
            bytes[3 * i + 2] = (byte)order[i];
        }
        return NewArray(KallsymsArrayKind.SeqsOfNames, bytes);
    }

    /// <summary>compare_names: by (cleaned) name, then address, then table index.</summary>
    private sealed class NameOrder(Entry[] table, int[] keyLengths) : IComparer<int>
    {
        public int Compare(int a, int b)
        {
            var byName = table[a].Symbol.AsSpan(1, keyLengths[a]).SequenceCompareTo(table[b].Symbol.AsSpan(1, keyLengths[b]));
            if (byName != 0) return byName;
            if (table[a].Address != table[b].Address) return table[a].Address > table[b].Address ? 1 : -1;
            return a - b; // keep old order
        }
    }

    /// <summary>How much of the name compare_names sees; with --lto-clang it stops at the first ".llvm.".</summary>
    private int NameSortKeyLength(Entry s)
    {
        var llvm = _options.LtoClang ? s.Name.IndexOf(".llvm."u8) : -1;
        return llvm >= 0 ? llvm : s.Name.Length;
    }

    private (KallsymsArray Table, KallsymsArray Index) TokenTableAndIndex(CompressedNames compressor)
    {
        var tokens = compressor.Tokens;
        var table = new byte[tokens.Sum(t => t.Length + 1)];
        var index = new byte[2 * 256];
        var offset = 0;
        for (var i = 0; i < 256; i++)
        {
            WriteUInt16(index.AsSpan(2 * i), (ushort)offset);
            tokens[i].CopyTo(table, offset);
            offset += tokens[i].Length + 1;
        }
        return (NewArray(KallsymsArrayKind.TokenTable, table),
            NewArray(KallsymsArrayKind.TokenIndex, index));
    }
}
