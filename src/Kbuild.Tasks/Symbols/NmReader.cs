using Kbuild.Elf;
namespace Kbuild.Symbols;

/// <summary>What GNU nm prints for an ELF: type letters as binutils decodes them, in `nm -n` order.</summary>
public static class NmReader
{
    /// <summary>Equivalent of `LC_ALL=C nm -n file` (undefined first, then by address, ties by name).</summary>
    public static IReadOnlyList<NmSymbol> ReadSorted(ElfImage image) => NmOrder.Sort(Read(image));

    /// <summary>Equivalent of `nm -p file`: the listed symbols in symbol table order.</summary>
    public static NmSymbol[] Read(ElfImage image)
    {
        var symbols = image.ReadSymbols();
        var classifier = new NmClassifier(image);
        var listed = new List<NmSymbol>(symbols.Count);
        foreach (var symbol in symbols)
        {
            if (!NmClassifier.IsListed(symbol)) continue;
            listed.Add(new NmSymbol(classifier.ValueOf(symbol), classifier.TypeOf(symbol), symbol.Name));
        }
        return [.. listed];
    }
}

/// <summary>
/// The order of `nm -n` (binutils numeric_forward): undefined symbols first, by name; the rest by value,
/// then by name (strcoll in the C locale = byte order); glibc's merge sort keeps equal ones in table order.
/// </summary>
public static class NmOrder
{
    /// <summary>Returns a new array sorted like `nm -n`; the input is in symbol table order.</summary>
    public static NmSymbol[] Sort(IReadOnlyList<NmSymbol> tableOrder)
    {
        // Sorting primitive keys with an index array is several times faster than a comparer; runs of equal
        // keys (few and short) are then ordered by name and table index.
        int count = tableOrder.Count, undefinedCount = 0;
        for (int i = 0; i < count; i++)
            if (NmClassifier.IsUndefinedClass(tableOrder[i].Type)) undefinedCount++;
        var keys = new ulong[count];
        var order = new int[count];
        int nextUndefined = 0, nextDefined = undefinedCount;
        for (int i = 0; i < count; i++)
        {
            var s = tableOrder[i];
            int slot = NmClassifier.IsUndefinedClass(s.Type) ? nextUndefined++ : nextDefined++;
            keys[slot] = slot < undefinedCount ? 0 : s.Address;
            order[slot] = i;
        }
        Array.Sort(keys, order, undefinedCount, count - undefinedCount);

        var byNameThenTableOrder = Comparer<int>.Create((a, b) =>
        {
            int byName = string.CompareOrdinal(tableOrder[a].Name, tableOrder[b].Name);
            return byName != 0 ? byName : a.CompareTo(b);
        });
        for (int runStart = 0; runStart < count;)
        {
            int runEnd = runStart + 1;
            bool undefinedRun = runStart < undefinedCount;
            int limit = undefinedRun ? undefinedCount : count;
            while (runEnd < limit && keys[runEnd] == keys[runStart]) runEnd++;
            if (runEnd - runStart > 1) Array.Sort(order, runStart, runEnd - runStart, byNameThenTableOrder);
            runStart = runEnd;
        }

        var sorted = new NmSymbol[count];
        for (int i = 0; i < count; i++) sorted[i] = tableOrder[order[i]];
        return sorted;
    }
}
