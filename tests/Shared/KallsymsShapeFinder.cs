using System.Buffers.Binary;
using System.Text;
using Kbuild.Elf;
using Kbuild.Table;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kbuild.Tests;

/// <summary>
/// Finds a kallsyms table in the raw bytes of a kernel image by its shape alone, in the spirit of vmlinux-to-elf's
/// kallsyms_finder (which works on stripped images): no symbols, no section headers. A table whose arrays are
/// padded apart (a reservation's slack) is not found, so the finder tells whether tools of that kind can read an
/// image. Little-endian base-relative tables (x86-64 and arm64 kernels of 6.1 and 6.12), either array order.
/// <list type="number">
/// <item>kallsyms_token_table: 256 NUL-terminated tokens; every character that occurs in a name is its own token at
/// its own index, so "0\0" … "9\0" appear in a row at indexes 48–57.</item>
/// <item>kallsyms_token_index: right after it, the 256 u16 start offsets of those tokens.</item>
/// <item>kallsyms_num_syms and kallsyms_names: the nearest u32 count before the token table that is followed by
/// that many length-prefixed names which decode to a type letter and printable characters, then by
/// kallsyms_markers (u32 offset of every 256th name), which end at the token table or at a
/// kallsyms_seqs_of_names of that count that does.</item>
/// <item>kallsyms_offsets and kallsyms_relative_base: count s32 after the token index (6.4+ order) or before
/// num_syms (6.1 order), followed by the 8-byte base; the decoded addresses are sorted, as the kernel's
/// binary search needs.</item>
/// </list>
/// </summary>
public static class KallsymsShapeFinder
{
    /// <summary>File offset of each array, named by its kernel label, and the decoded table.</summary>
    public sealed record Found(IReadOnlyDictionary<string, long> Offsets, IReadOnlyList<(ulong Address, char Type, string Name)> Symbols);

    private const int PointerSize = 8;
    private const int MaxTokenLength = 50;

    /// <summary>Asserts that the finder, from the bytes alone, finds the very arrays the image's kallsyms_* symbols
    /// label and reads the same table the kernel's own decoding does.</summary>
    public static void AssertFindsTable(string vmlinux)
    {
        var (table, reason) = Find(File.ReadAllBytes(vmlinux));
        Assert.IsNotNull(table, $"a shape-based finder does not find the kallsyms table of {vmlinux}: {reason}");
        using var image = ElfImage.Open(vmlinux);
        var labels = image.ReadSymbols().Where(s => table.Offsets.ContainsKey(s.Name)).ToDictionary(s => s.Name, s => image.FileOffsetOf(s.Value));
        CollectionAssert.AreEquivalent(table.Offsets.ToList(), labels.ToList(), "array file offsets: found by shape vs labelled");
        var decoded = new[] { false, true }.Select(absolutePercpu => KallsymsDecoder.Decode(image, absolutePercpu)
            .Select(s => (s.Address, s.Type, s.Name)).ToList());
        Assert.IsTrue(decoded.Any(d => d.SequenceEqual(table.Symbols)), "the table read by shape differs from the table read through its symbols");
    }

    /// <summary>The table, or why it was not found.</summary>
    public static (Found? Table, string Reason) Find(byte[] image)
    {
        var tokenTables = TokenTableCandidates(image).ToList();
        if (tokenTables.Count != 1)
            return (null, $"{tokenTables.Count} candidates for kallsyms_token_table (want exactly 1)");
        var (tokenTable, tokenStarts, tokenTableEnd) = tokenTables[0];

        var tokenIndex = FindTokenIndex(image, tokenStarts, tokenTableEnd);
        if (tokenIndex < 0) return (null, "no kallsyms_token_index after the token table");
        var tokens = tokenStarts.Select(s => ReadToken(image, tokenTable + s)).ToArray();

        var names = FindNames(image, tokenTable, tokens);
        if (names is null) return (null, "no kallsyms_num_syms/kallsyms_names/kallsyms_markers before the token table");
        var (numSyms, namesStart, markers, count, decoded) = names.Value;

        var tokenIndexEnd = tokenIndex + 2 * 256;
        var relative = new[]
            {
                Align(tokenIndexEnd, PointerSize), // 6.4+: after the token index
                numSyms - PointerSize - 4L * count, numSyms - PointerSize - 4L * count - 4, // 6.1: before num_syms
            }
            .Select(offsets => (offsets, Base: Align(offsets + 4L * count, PointerSize)))
            .Where(c => c.offsets >= 0 && c.offsets % PointerSize == 0 && c.Base + PointerSize <= image.Length &&
                        (c.offsets > tokenIndex || c.Base == numSyms - PointerSize))
            .Select(c => (c.offsets, c.Base, Addresses: Addresses(image, c.offsets, c.Base, count)))
            .Where(c => c.Addresses != null)
            .ToList();
        if (relative.Count != 1)
            return (null, $"{relative.Count} candidates for kallsyms_offsets/kallsyms_relative_base (want exactly 1)");
        var (offsetsAt, baseAt, addresses) = relative[0];

        var seqs = offsetsAt > tokenIndex ? Align(baseAt + PointerSize, PointerSize) : Align(markers + 4L * ((count + 255) / 256), PointerSize);
        if (!IsPermutation(image, seqs, count)) return (null, "no kallsyms_seqs_of_names where the order puts it");

        var offsets = new Dictionary<string, long>
        {
            ["kallsyms_num_syms"] = numSyms, ["kallsyms_names"] = namesStart, ["kallsyms_markers"] = markers,
            ["kallsyms_token_table"] = tokenTable, ["kallsyms_token_index"] = tokenIndex,
            ["kallsyms_offsets"] = offsetsAt, ["kallsyms_relative_base"] = baseAt, ["kallsyms_seqs_of_names"] = seqs,
        };
        return (new Found(offsets, decoded.Select((s, i) => (addresses![i], s.Type, s.Name)).ToList()), "");
    }

    /// <summary>Each place "0\0".."9\0" sits at token indexes 48–57 of a well-formed 256-token table.</summary>
    private static IEnumerable<(long Start, int[] TokenStarts, long End)> TokenTableCandidates(byte[] image)
    {
        var digits = Enumerable.Range('0', 10).SelectMany(c => new[] { (byte)c, (byte)0 }).ToArray();
        for (var at = image.AsSpan().IndexOf(digits); at >= 0;)
        {
            if (TokenTableAround(image, at) is { } table) yield return table;
            var next = image.AsSpan(at + 1).IndexOf(digits);
            at = next < 0 ? -1 : at + 1 + next;
        }
    }

    private static (long, int[], long)? TokenTableAround(byte[] image, int digitZero)
    {
        // Back over tokens 47..0: each ends in the NUL before the next one starts.
        var start = digitZero;
        for (var token = 0; token < '0'; token++)
        {
            if (start < 2 || image[start - 1] != 0) return null;
            var length = 0;
            while (start - 2 - length >= 0 && image[start - 2 - length] is >= 0x20 and < 0x7F && length < MaxTokenLength) length++;
            if (length == 0) return null;
            start -= 1 + length;
        }
        if (start % 4 != 0) return null; // the label is aligned
        var starts = new int[256];
        var at = start;
        for (var token = 0; token < 256; token++)
        {
            starts[token] = at - start;
            var length = 0;
            while (at + length < image.Length && image[at + length] is >= 0x20 and < 0x7F) length++;
            if (length == 0 || length > MaxTokenLength || at + length >= image.Length || image[at + length] != 0) return null;
            at += length + 1;
        }
        return (start, starts, at);
    }

    private static long FindTokenIndex(byte[] image, int[] tokenStarts, long tokenTableEnd)
    {
        var want = new byte[2 * 256];
        for (var i = 0; i < 256; i++) BinaryPrimitives.WriteUInt16LittleEndian(want.AsSpan(2 * i), (ushort)tokenStarts[i]);
        var from = Align(tokenTableEnd, 2);
        var window = image.AsSpan((int)from, (int)Math.Min(image.Length - from, PointerSize + want.Length));
        var at = window.IndexOf(want);
        return at < 0 ? -1 : from + at;
    }

    private static string ReadToken(byte[] image, long at) =>
        Encoding.Latin1.GetString(image, (int)at, Array.IndexOf(image, (byte)0, (int)at) - (int)at);

    /// <summary>Scanning back from the token table, the first count that a names array and its markers follow.</summary>
    private static (long NumSyms, long Names, long Markers, int Count, List<(char Type, string Name)> Decoded)? FindNames(
        byte[] image, long tokenTable, string[] tokens)
    {
        for (var numSyms = tokenTable - PointerSize; numSyms >= 0; numSyms -= PointerSize)
        {
            var count = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)numSyms));
            var names = numSyms + PointerSize;
            if (count == 0 || count > (tokenTable - names) / 2) continue;
            if (DecodeNames(image, names, (int)Math.Min(count, 16), tokens, tokenTable) is null) continue; // cheap reject
            var decoded = DecodeNames(image, names, (int)count, tokens, tokenTable);
            if (decoded is null) continue;
            var markers = Align(decoded.Value.End, PointerSize);
            var markerCount = ((int)count + 255) / 256;
            // The markers end where the token table starts (6.4+ order) or where kallsyms_seqs_of_names
            // (3 bytes a symbol) does that ends there (6.1 order).
            var markersEnd = Align(markers + 4L * markerCount, PointerSize);
            if (markersEnd != tokenTable && Align(markersEnd + 3L * count, PointerSize) != tokenTable) continue;
            var markersMatch = true;
            for (var i = 0; i < markerCount && markersMatch; i++)
                markersMatch = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)(markers + 4 * i))) == decoded.Value.Starts[256 * i];
            if (markersMatch) return (numSyms, names, markers, (int)count, decoded.Value.Symbols);
        }
        return null;
    }

    private static (List<(char Type, string Name)> Symbols, List<long> Starts, long End)? DecodeNames(
        byte[] image, long at, int count, string[] tokens, long limit)
    {
        var symbols = new List<(char, string)>(count);
        var starts = new List<long>(count);
        var text = new StringBuilder();
        var offset = at;
        for (var i = 0; i < count; i++)
        {
            starts.Add(offset - at);
            if (offset >= limit) return null;
            int length = image[offset++];
            if ((length & 0x80) != 0)
            {
                if (offset >= limit) return null;
                length = length & 0x7F | image[offset++] << 7;
            }
            if (length == 0 || offset + length > limit) return null;
            text.Clear();
            for (var k = 0; k < length; k++) text.Append(tokens[image[offset + k]]);
            offset += length;
            if (text.Length < 2 || !"?aAbBCdDgGiINnpPrRsStTuUvVwW".Contains(text[0])) return null;
            for (var k = 1; k < text.Length; k++) if (text[k] is <= ' ' or >= (char)0x7F) return null;
            symbols.Add((text[0], text.ToString(1, text.Length - 1)));
        }
        return (symbols, starts, offset);
    }

    /// <summary>kallsyms_sym_address of every index under either percpu rule, if one fits: the base is the lowest
    /// relative address (some offset is 0, or -1 with absolute percpu) and the addresses are sorted.</summary>
    private static ulong[]? Addresses(byte[] image, long offsets, long relativeBase, int count)
    {
        var baseValue = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan((int)relativeBase));
        if (baseValue == 0) return null;
        foreach (var absolutePercpu in new[] { false, true })
        {
            var result = new ulong[count];
            var sorted = true;
            var baseSeen = false;
            for (var i = 0; i < count && sorted; i++)
            {
                var offset = BinaryPrimitives.ReadInt32LittleEndian(image.AsSpan((int)(offsets + 4L * i)));
                result[i] = !absolutePercpu ? baseValue + (uint)offset
                    : offset >= 0 ? (ulong)offset : baseValue - 1 - unchecked((ulong)(long)offset);
                baseSeen |= result[i] == baseValue;
                sorted = i == 0 || result[i] >= result[i - 1];
            }
            if (sorted && baseSeen && result[^1] > result[0]) return result;
        }
        return null;
    }

    private static bool IsPermutation(byte[] image, long at, int count)
    {
        if (at + 3L * count > image.Length) return false;
        var seen = new bool[count];
        for (var i = 0; i < count; i++)
        {
            var seq = image[at + 3 * i] << 16 | image[at + 3 * i + 1] << 8 | image[at + 3 * i + 2];
            if (seq >= count || seen[seq]) return false;
            seen[seq] = true;
        }
        return true;
    }

    private static long Align(long value, int alignment) => (value + alignment - 1) / alignment * alignment;
}
