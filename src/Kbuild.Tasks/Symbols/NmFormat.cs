using System.Text;
using Kbuild.Elf;

namespace Kbuild.Symbols;

/// <summary>nm's BSD output lines: "%08x"/"%016x" value (blanks for undefined), space, letter, space, name.</summary>
public static class NmFormat
{
    /// <summary>Hex digits nm prints for an address: 8 for ELF32, 16 for ELF64.</summary>
    public static int AddressDigits(ElfClass elfClass) => elfClass == ElfClass.Elf64 ? 16 : 8;

    /// <summary>One line without the newline, e.g. "ffffffff81000000 T _text".</summary>
    public static string Line(NmSymbol symbol, int addressDigits)
    {
        var buffer = new char[LineLength(symbol, addressDigits)];
        FormatLine(symbol, addressDigits, buffer);
        return new string(buffer);
    }

    /// <summary>Characters <see cref="FormatLine"/> writes.</summary>
    public static int LineLength(NmSymbol symbol, int addressDigits) =>
        Math.Max(addressDigits, HexDigits(symbol.Address)) + 3 + symbol.Name.Length;

    /// <summary>Writes the line into <paramref name="destination"/> (at least <see cref="LineLength"/> long); returns its length.</summary>
    public static int FormatLine(NmSymbol symbol, int addressDigits, Span<char> destination)
    {
        int digits;
        if (NmClassifier.IsUndefinedClass(symbol.Type))
        {
            digits = addressDigits;
            destination[..digits].Fill(' ');
        }
        else
        {
            digits = Math.Max(addressDigits, HexDigits(symbol.Address));
            ulong value = symbol.Address;
            for (int i = digits - 1; i >= 0; i--, value >>= 4)
                destination[i] = "0123456789abcdef"[(int)(value & 0xF)];
        }
        destination[digits] = ' ';
        destination[digits + 1] = symbol.Type;
        destination[digits + 2] = ' ';
        symbol.Name.CopyTo(destination[(digits + 3)..]);
        return digits + 3 + symbol.Name.Length;
    }

    /// <summary>Writes every symbol as nm does, each line ending in '\n', bytes as in the file (Latin-1).</summary>
    public static void Write(Stream output, IEnumerable<NmSymbol> symbols, int addressDigits)
    {
        using var writer = new StreamWriter(output, Encoding.Latin1, 1 << 16, leaveOpen: true) { NewLine = "\n" };
        foreach (var symbol in symbols) writer.WriteLine(Line(symbol, addressDigits));
    }

    private static int HexDigits(ulong value) => Math.Max(1, (64 - System.Numerics.BitOperations.LeadingZeroCount(value) + 3) / 4);
}
