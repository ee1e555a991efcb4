using System.Text;
using Kbuild.IO;

namespace Kbuild.Table;

/// <summary>
/// The token table and each symbol's compressed bytes. The compression of scripts/kallsyms depends only on the
/// multiset of symbols (type letter + name): pair counts are summed over all of them, the best pair is chosen by
/// count and code, and each symbol is rewritten on its own — not on addresses or order. So when a build's symbols
/// are the same multiset as the build before (a relink after touching one source file, nearly always), the
/// previous result is the result: it is kept in a file under obj/ and reused, byte for byte, after checking that
/// the multisets are equal (every symbol with the same count); anything else compresses again and rewrites it. A damaged
/// file is ignored (<see cref="CacheFile"/>).
/// </summary>
public sealed class CompressedNames
{
    private static readonly string Header = "kbuild-compressed-names-2 " + typeof(CompressedNames).Assembly.ManifestModule.ModuleVersionId;

    private readonly byte[][] _compressed;

    private CompressedNames(byte[][] compressed, byte[][] tokens)
    {
        _compressed = compressed;
        Tokens = tokens;
    }

    /// <summary>The 256 token strings (kallsyms_token_table entries) fully expanded.</summary>
    public byte[][] Tokens { get; }

    /// <summary>Whether the result came from the cache file.</summary>
    public bool Reused { get; private init; }

    public ReadOnlySpan<byte> Compressed(int index) => _compressed[index];

    /// <summary>The kernel's compression of <paramref name="symbols"/> (optimize_token_table), with no file.</summary>
    /// <param name="symbols">Each symbol's type letter followed by its name, in table order.</param>
    public static CompressedNames Compress(byte[][] symbols)
    {
        var compressor = new KallsymsCompressor(symbols);
        compressor.Optimize();
        var compressed = new byte[symbols.Length][];
        for (var i = 0; i < compressed.Length; i++) compressed[i] = compressor.Compressed(i).ToArray();
        return new CompressedNames(compressed, compressor.ExpandedTokens());
    }

    /// <summary>The compression of <paramref name="symbols"/>: the last result kept in <paramref name="cache"/> when the
    /// multiset is the same, else <see cref="Compress(byte[][])"/>, kept there for the next build.</summary>
    /// <param name="cache">The file that keeps the last result (null: always compress).</param>
    public static CompressedNames Compress(byte[][] symbols, CacheFile? cache)
    {
        if (cache != null && TryLoad(cache, symbols) is { } reused) return reused;
        var result = Compress(symbols);
        if (cache != null) Save(cache, symbols, result);
        return result;
    }

    /// <summary>A compression for <see cref="KallsymsGenerator.Generate"/> that keeps its result in <paramref name="cache"/>.</summary>
    public static Func<byte[][], CompressedNames> KeptIn(CacheFile cache) => symbols => Compress(symbols, cache);

    private static string Key(byte[] symbol) => Encoding.Latin1.GetString(symbol);

    private static void Save(CacheFile cache, byte[][] symbols, CompressedNames result)
    {
        var entries = new Dictionary<string, (int Count, byte[] Compressed)>(StringComparer.Ordinal);
        for (var i = 0; i < symbols.Length; i++)
        {
            var key = Key(symbols[i]);
            entries[key] = (entries.TryGetValue(key, out var e) ? e.Count + 1 : 1, result._compressed[i]);
        }
        cache.Write(Header, w =>
        {
            foreach (var token in result.Tokens) { w.Write(token.Length); w.Write(token); }
            w.Write(entries.Count);
            foreach (var (symbol, (count, compressed)) in entries)
            {
                w.Write(symbol.Length); w.Write(Encoding.Latin1.GetBytes(symbol));
                w.Write(count);
                w.Write(compressed.Length); w.Write(compressed);
            }
        });
    }

    private static CompressedNames? TryLoad(CacheFile cache, byte[][] symbols)
    {
        using var r = cache.Read(Header);
        if (r == null) return null;
        var tokens = new byte[256][];
        Dictionary<string, (int Count, byte[] Compressed)> entries;
        try
        {
            for (var i = 0; i < tokens.Length; i++) tokens[i] = ReadExactly(r, Length(r, 0xFFFF));
            var count = Length(r, 1 << 26);
            entries = new Dictionary<string, (int Count, byte[] Compressed)>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var symbol = Encoding.Latin1.GetString(ReadExactly(r, Length(r, 0xFFFF)));
                var n = Length(r, int.MaxValue);
                entries[symbol] = (n, ReadExactly(r, Length(r, 0xFFFF)));
            }
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
        {
            cache.Ignore("an entry does not read as one");
            return null;
        }

        // The same multiset: every symbol known, each as often as before, nothing left over.
        var compressed = new byte[symbols.Length][];
        var seen = new Dictionary<string, int>(entries.Count, StringComparer.Ordinal);
        for (var i = 0; i < symbols.Length; i++)
        {
            var key = Key(symbols[i]);
            if (!entries.TryGetValue(key, out var entry)) return null;
            compressed[i] = entry.Compressed;
            seen[key] = seen.TryGetValue(key, out var s) ? s + 1 : 1;
        }
        if (seen.Count != entries.Count || seen.Any(kv => entries[kv.Key].Count != kv.Value)) return null;
        return new CompressedNames(compressed, tokens) { Reused = true };
    }

    private static byte[] ReadExactly(BinaryReader r, int count) =>
        r.ReadBytes(count) is var bytes && bytes.Length == count ? bytes : throw new EndOfStreamException();

    private static int Length(BinaryReader r, int max)
    {
        var n = r.ReadInt32();
        return n >= 0 && n <= max ? n : throw new InvalidDataException();
    }
}
