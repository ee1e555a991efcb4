using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kbuild.Table;

/// <summary>
/// The token compression of scripts/kallsyms (optimize_token_table): every byte code no real character
/// uses gets, from 255 down to 0, the byte pair with the highest count over all symbols, which is then
/// replaced left to right in every symbol. Same passes as the C; the symbols live in one buffer, each in
/// its own zero-terminated slot, so one vectorized search per pass finds the symbols holding the pair.
/// </summary>
internal sealed class KallsymsCompressor
{
    private readonly byte[] _buffer;
    private readonly int[] _start;
    private readonly int[] _length;
    private readonly int[] _tokenProfit = new int[0x10000];

    /// <summary>The table that holds the result: code → one real character or a pair of codes.</summary>
    private readonly byte[,] _bestTable = new byte[256, 2];
    private readonly byte[] _bestTableLength = new byte[256];

    /// <param name="symbols">Each symbol's type letter followed by its name, in table order.</param>
    public KallsymsCompressor(IReadOnlyList<byte[]> symbols)
    {
        _start = new int[symbols.Count];
        _length = new int[symbols.Count];
        var total = 0;
        for (var i = 0; i < symbols.Count; i++)
        {
            _start[i] = total;
            _length[i] = symbols[i].Length;
            total += symbols[i].Length + 1; // the zero keeps a pair from spanning two symbols
        }
        _buffer = new byte[total];
        for (var i = 0; i < symbols.Count; i++) symbols[i].CopyTo(_buffer, _start[i]);
    }

    public int Count => _start.Length;

    /// <summary>The compressed bytes of symbol <paramref name="index"/> (valid after <see cref="Optimize"/>).</summary>
    public ReadOnlySpan<byte> Compressed(int index) => _buffer.AsSpan(_start[index], _length[index]);

    public void Optimize()
    {
        BuildInitialTokenTable();
        InsertRealSymbolsInTable();
        OptimizeResult();
    }

    /// <summary>The 256 token strings (kallsyms_token_table entries) fully expanded.</summary>
    public byte[][] ExpandedTokens()
    {
        var tokens = new byte[256][];
        var scratch = new List<byte>();
        for (var c = 0; c < 256; c++)
        {
            scratch.Clear();
            ExpandCode(c, scratch);
            tokens[c] = [.. scratch];
        }
        return tokens;
    }

    /// <summary>expand_symbol: a real character stands for itself, a pair code for its two expansions.</summary>
    private void ExpandCode(int c, List<byte> result)
    {
        if (_bestTableLength[c] == 1 && _bestTable[c, 0] == c)
        {
            result.Add((byte)c);
            return;
        }
        for (var k = 0; k < _bestTableLength[c]; k++) ExpandCode(_bestTable[c, k], result);
    }

    /// <summary>learn_symbol (+1) / forget_symbol (-1): count every adjacent byte pair of the symbol.</summary>
    private void LearnSymbol(int index, int delta)
    {
        var s = _buffer.AsSpan(_start[index], _length[index]);
        ref var profit = ref MemoryMarshal.GetArrayDataReference(_tokenProfit); // a pair index is always < 0x10000
        for (var i = 0; i < s.Length - 1; i++) Unsafe.Add(ref profit, s[i] | s[i + 1] << 8) += delta;
    }

    private void BuildInitialTokenTable()
    {
        for (var i = 0; i < Count; i++) LearnSymbol(i, +1);
    }

    private void InsertRealSymbolsInTable()
    {
        for (var i = 0; i < Count; i++)
            foreach (var c in _buffer.AsSpan(_start[i], _length[i]))
            {
                _bestTable[c, 0] = c;
                _bestTableLength[c] = 1;
            }
    }

    /// <summary>The first pair with the maximum count (find_best_token: strict '&gt;' keeps the lowest index).</summary>
    private int FindBestToken()
    {
        var max = _tokenProfit.Max();
        return Array.IndexOf(_tokenProfit, max);
    }

    private void OptimizeResult()
    {
        // Using code 0 last keeps the zero slot terminators meaningful until the very end.
        for (var i = 255; i >= 0; i--)
        {
            if (_bestTableLength[i] != 0) continue;
            var best = FindBestToken();
            if (_tokenProfit[best] == 0) break;
            _bestTableLength[i] = 2;
            _bestTable[i, 0] = (byte)(best & 0xFF);
            _bestTable[i, 1] = (byte)(best >> 8);
            CompressSymbols((byte)(best & 0xFF), (byte)(best >> 8), (byte)i);
        }
    }

    /// <summary>Replaces the pair by <paramref name="code"/> in every symbol that holds it, updating the counts.</summary>
    private void CompressSymbols(byte first, byte second, byte code)
    {
        ReadOnlySpan<byte> pair = [first, second];
        var position = 0;
        while (position < _buffer.Length)
        {
            var found = _buffer.AsSpan(position).IndexOf(pair);
            if (found < 0) return;
            var symbol = OwnerOf(position + found);
            LearnSymbol(symbol, -1);
            ReplacePairAndLearn(symbol, first, second, code);
            position = symbol + 1 < Count ? _start[symbol + 1] : _buffer.Length;
        }
    }

    /// <summary>Replaces the pair left to right, without overlaps, and counts the pairs of the result.</summary>
    private void ReplacePairAndLearn(int symbol, byte first, byte second, byte code)
    {
        var s = _buffer.AsSpan(_start[symbol], _length[symbol]);
        ref var profit = ref MemoryMarshal.GetArrayDataReference(_tokenProfit);
        int read = 0, write = 0;
        while (read < s.Length)
        {
            byte next;
            if (read + 1 < s.Length && s[read] == first && s[read + 1] == second)
            {
                next = code;
                read += 2;
            }
            else
            {
                next = s[read++];
            }
            if (write > 0) Unsafe.Add(ref profit, s[write - 1] | next << 8)++;
            s[write++] = next;
        }
        s[write..].Clear();
        _length[symbol] = write;
    }

    private int OwnerOf(int bufferOffset)
    {
        var i = Array.BinarySearch(_start, bufferOffset);
        return i >= 0 ? i : ~i - 1;
    }
}
