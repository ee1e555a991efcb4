using System.Globalization;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.Elf;

namespace Kbuild.Kallsyms;

/// <summary>
/// Writes a table as GNU assembler source that assembles to the same .rodata bytes as the kernel's
/// scripts/kallsyms output: same labels, same alignment, and every pointer slot written as
/// "PTR _text ± k" so the object carries the same relocations against _text. Self-contained (no
/// asm/bitsperlong.h include): the pointer directive follows the table's target.
/// </summary>
public static class KallsymsAssembly
{
    private const int BytesPerLine = 16;

    /// <param name="reservedSizes">
    /// Optional size to pad each array to (by label symbol name): zeros follow the data, so a reservation
    /// table keeps room for a larger table patched in later. An array larger than its reservation is an error.
    /// </param>
    public static void Write(KallsymsTable table, TextWriter output, IReadOnlyDictionary<string, int>? reservedSizes = null)
    {
        var pointer = table.Target.Class == ElfClass.Elf64 ? ".quad" : ".long";
        output.Write($"/* kallsyms table for Linux {table.Layout.Description}, {table.Symbols.Count} symbols */\n");
        output.Write("\t.section .rodata, \"a\"\n");
        foreach (var array in table.Arrays)
        {
            output.Write($".globl {array.SymbolName}\n\t.balign {array.Alignment}\n{array.SymbolName}:\n");
            WriteData(output, array, pointer, table.Target.PointerSize);
            if (reservedSizes != null && reservedSizes.TryGetValue(array.SymbolName, out var reserved))
            {
                if (array.Size > reserved)
                    throw new KbuildException(ErrorCodes.KallsymsReservationTooSmall, null,
                        $"{array.SymbolName} needs {array.Size} bytes but only {reserved} are reserved; " +
                        "reserve more slack for this array (or relink with a new reservation).");
                if (array.Size < reserved) output.Write($"\t.zero {reserved - array.Size}\n");
            }
            output.Write('\n');
        }
    }

    public static string ToText(KallsymsTable table, IReadOnlyDictionary<string, int>? reservedSizes = null)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        Write(table, text, reservedSizes);
        return text.ToString();
    }

    private static void WriteData(TextWriter output, KallsymsArray array, string pointer, int pointerSize)
    {
        var line = new StringBuilder();
        var position = 0;
        foreach (var relocation in array.TextRelocations)
        {
            WriteBytes(output, line, array.Bytes.AsSpan(position, relocation.Offset - position));
            output.Write(relocation.Addend >= 0
                ? $"\t{pointer}\t_text + {FormatHex((ulong)relocation.Addend)}\n"
                : $"\t{pointer}\t_text - {FormatHex(unchecked((ulong)-relocation.Addend))}\n");
            position = relocation.Offset + pointerSize;
        }
        WriteBytes(output, line, array.Bytes.AsSpan(position));
    }

    /// <summary>printf's %#llx: "0" for zero, else "0x…".</summary>
    private static string FormatHex(ulong value) => value == 0 ? "0" : $"0x{value:x}";

    private static void WriteBytes(TextWriter output, StringBuilder line, ReadOnlySpan<byte> bytes)
    {
        for (var start = 0; start < bytes.Length; start += BytesPerLine)
        {
            line.Clear().Append("\t.byte ");
            var chunk = bytes.Slice(start, Math.Min(BytesPerLine, bytes.Length - start));
            for (var i = 0; i < chunk.Length; i++)
            {
                if (i > 0) line.Append(',');
                line.Append("0x").Append(chunk[i].ToString("x2", CultureInfo.InvariantCulture));
            }
            output.Write(line.Append('\n'));
        }
    }
}
