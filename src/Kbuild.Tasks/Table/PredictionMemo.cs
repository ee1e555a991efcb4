using System.Security.Cryptography;
using Kbuild.Diagnostics;
using Kbuild.Inputs;
using Kbuild.IO;
using Kbuild.Symbols;

namespace Kbuild.Table;

/// <summary>
/// What the last prediction was made from, in a small file under obj/: its context (the linker script's bytes, the
/// kernel's rules, the linker and its flags, this assembly's build), every link input in link order with its identity
/// and the digest of its facts (<see cref="InputObjectFacts.Digest"/>), and the reservation key it gave. The
/// prediction is a function of exactly these, so a relink with the same context and the same objects with the same
/// facts predicts the same symbols: the key is known without loading every input's symbols or predicting again.
/// Touching one source file gives its object a new identity but, recompiled the same, the same facts: only that
/// object is read. Anything else (a symbol, a section size, an object more or less, another order) misses, and the
/// full prediction writes the memo again. A missing or damaged memo is a miss, never an error (<see cref="CacheFile"/>).
/// </summary>
internal static class PredictionMemo
{
    private const string Header = "kbuild-prediction-memo-2";
    private const int DigestSize = 32;

    private sealed record Entry(string Name, string Identity, byte[] Digest);

    /// <summary>The key and symbol count of the last prediction when it was made from <paramref name="inputs"/> in
    /// <paramref name="context"/>; else null.</summary>
    public static (string Key, int Symbols)? Unchanged(CacheFile file, string context, IReadOnlyList<LinkInputObject> inputs)
    {
        if (TryLoad(file) is not { } memo || memo.Context != context || memo.Entries.Count != inputs.Count) return null;
        try
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                var entry = memo.Entries[i];
                if (entry.Name != inputs[i].DisplayName) return null;
                if (entry.Identity == InputSymbolCache.KeyOf(inputs[i])) continue;
                if (!DigestOf(inputs[i], InputObjectFacts.Read).AsSpan().SequenceEqual(entry.Digest)) return null;
            }
        }
        catch (Exception e) when (e is KbuildException or IOException or UnauthorizedAccessException)
        {
            return null;  // an unreadable object: the full prediction reports it
        }
        return (memo.Key, memo.Symbols);
    }

    /// <summary>Records a full prediction: its context, its inputs' facts (from <paramref name="factsOf"/>), its key.</summary>
    public static void Save(CacheFile file, string context, IReadOnlyList<LinkInputObject> inputs, Func<LinkInputObject, InputObjectFacts> factsOf,
        string key, int symbols)
    {
        var entries = new List<Entry>(inputs.Count);
        foreach (var input in inputs)
        {
            if (InputSymbolCache.KeyOf(input) is not { } identity) { file.Delete(); return; }
            entries.Add(new Entry(input.DisplayName, identity, DigestOf(input, factsOf)));
        }
        file.Write(Header, w =>
        {
            w.Write(context); w.Write(key); w.Write(symbols);
            w.Write(entries.Count);
            foreach (var e in entries) { w.Write(e.Name); w.Write(e.Identity); w.Write(e.Digest); }
        });
    }

    /// <summary>An ELF object's facts digest; an LLVM bitcode object's (read through a stand-in) the digest of its bytes.</summary>
    private static byte[] DigestOf(LinkInputObject input, Func<LinkInputObject, InputObjectFacts> factsOf) =>
        input.Member == null && BitcodeStandIns.IsBitcodeFile(input.Name)
            ? SHA256.HashData(RegularFile.ReadAllBytes(input.Name))
            : factsOf(input).Digest;

    private static (string Context, string Key, int Symbols, List<Entry> Entries)? TryLoad(CacheFile file)
    {
        using var r = file.Read(Header);
        if (r == null) return null;
        try
        {
            var (context, key, symbols, count) = (r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadInt32());
            if (count < 0 || count > 1 << 24) throw new InvalidDataException();
            var entries = new List<Entry>(count);
            for (var i = 0; i < count; i++)
                entries.Add(new Entry(r.ReadString(), r.ReadString(), r.ReadBytes(DigestSize)));
            return (context, key, symbols, entries);
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException or InvalidDataException)
        {
            file.Ignore("an entry does not read as one");
            return null;
        }
    }
}
