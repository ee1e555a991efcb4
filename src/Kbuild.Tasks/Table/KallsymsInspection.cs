using Kbuild.Kernel;
using System.Globalization;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Symbols;

namespace Kbuild.Table;

/// <summary>Where a decoded table first differs from the one its symbols call for (null entries: one list ended).</summary>
public sealed record KallsymsDifference(int Index, NmSymbol? Decoded, NmSymbol? Expected, int DecodedCount, int ExpectedCount)
{
    public string Describe() =>
        $"entry {Index} is {Show(Decoded)}, expected {Show(Expected)} ({DecodedCount} decoded, {ExpectedCount} expected)";

    private static string Show(NmSymbol? s) => s is { } x ? $"{x.Address:x} {x.Type} {x.Name}" : "nothing";
}

/// <summary>
/// The kallsyms table of any linked vmlinux — ours or one make linked — read back: as /proc/kallsyms shows it,
/// and checked against the table the kernel's rules (its version's scripts/kallsyms and mksysmap, its switches)
/// make from the image's own symbols.
/// </summary>
public static class KallsymsInspection
{
    /// <summary>
    /// The table in /proc/kallsyms format: kernel/kallsyms.c's s_show prints "%px %c %s" for every vmlinux entry
    /// in table order, the address zero-padded to the pointer width, the type as the table stores it.
    /// </summary>
    public static void WriteProcKallsyms(IEnumerable<NmSymbol> table, ElfClass elfClass, TextWriter writer)
    {
        var digits = NmFormat.AddressDigits(elfClass);
        foreach (var symbol in table)
        {
            writer.Write(symbol.Address.ToString("x" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
            writer.Write(' ');
            writer.Write(symbol.Type);
            writer.Write(' ');
            writer.Write(symbol.Name);
            writer.Write('\n');
        }
    }

    /// <summary><see cref="WriteProcKallsyms"/> of an image's table, as text.</summary>
    public static string ProcKallsyms(ElfImage image, bool absolutePercpu)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        WriteProcKallsyms(KallsymsDecoder.Decode(image, absolutePercpu), image.Class, text);
        return text.ToString();
    }

    /// <summary>The table the kernel's rules make from the image's own symbols (System.map filtered by scripts/kallsyms).</summary>
    public static IReadOnlyList<NmSymbol> ExpectedTable(ElfImage image, KernelVersion version, KallsymsOptions options) =>
        KallsymsRules.For(version, options).TableOf(image).Symbols;

    /// <summary>The image's table against <see cref="ExpectedTable"/>: how many symbols it should hold, and the first
    /// difference (null when they agree).</summary>
    public static (int ExpectedCount, KallsymsDifference? Difference) Verify(ElfImage image, KernelVersion version, KallsymsOptions options)
    {
        var expected = ExpectedTable(image, version, options);
        return (expected.Count, FirstDifference(KallsymsDecoder.Decode(image, options.AbsolutePercpu), expected));
    }

    public static KallsymsDifference? FirstDifference(IReadOnlyList<NmSymbol> decoded, IReadOnlyList<NmSymbol> expected)
    {
        for (var i = 0; i < Math.Max(decoded.Count, expected.Count); i++)
        {
            var got = i < decoded.Count ? decoded[i] : (NmSymbol?)null;
            var want = i < expected.Count ? expected[i] : (NmSymbol?)null;
            if (got != want) return new KallsymsDifference(i, got, want, decoded.Count, expected.Count);
        }
        return null;
    }

    /// <summary>Writes the dump through a temporary file renamed into place.</summary>
    public static void WriteFile(string path, string contents)
    {
        IO.AtomicOutput.WriteAllBytes(path, Encoding.Latin1.GetBytes(contents), ErrorCodes.KallsymsDumpWriteFailed);
    }
}
