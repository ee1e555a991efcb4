namespace Kbuild.Elf;

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
        var keys = new SortKey[tableOrder.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            var s = tableOrder[i];
            keys[i] = new SortKey(NmClassifier.IsUndefinedClass(s.Type) ? 0UL : s.Address,
                !NmClassifier.IsUndefinedClass(s.Type), s.Name, i);
        }
        Array.Sort(keys);
        var sorted = new NmSymbol[keys.Length];
        for (int i = 0; i < keys.Length; i++) sorted[i] = tableOrder[keys[i].TableIndex];
        return sorted;
    }

    private readonly record struct SortKey(ulong Value, bool Defined, string Name, int TableIndex) : IComparable<SortKey>
    {
        public int CompareTo(SortKey other)
        {
            if (Defined != other.Defined) return Defined ? 1 : -1;
            if (Value != other.Value) return Value < other.Value ? -1 : 1;
            int byName = string.CompareOrdinal(Name, other.Name);
            return byName != 0 ? byName : TableIndex.CompareTo(other.TableIndex);
        }
    }
}
