using System.Globalization;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.Elf;

namespace Kbuild.Table;

/// <summary>
/// Writes a table as GNU assembler source that assembles to the same .rodata bytes as the kernel's
/// scripts/kallsyms output: same labels, same alignment and sizes, and every slot relative to _text written as
/// "PTR _text ± k" (7.x: ".long _text - . + (k)") so the object carries the same relocations against _text.
/// Self-contained (no asm/bitsperlong.h include): the pointer directive follows the table's target.
/// </summary>
public static class KallsymsAssembly
{
    private const int BytesPerLine = 16;

    public static void Write(KallsymsTable table, TextWriter output)
    {
        var line = new StringBuilder();
        WriteArrays(table, output, (array, pointer) =>
            WriteData(output, array, pointer, table.Target.PointerSize, array.Size,
                (start, end) => WriteBytes(output, line, array.Bytes.AsSpan(start, end - start))));
    }

    public static string ToText(KallsymsTable table)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        Write(table, text);
        return text.ToString();
    }

    /// <summary>
    /// The room for a table patched in after the link, laid out as the kernel's own .S: each label global and
    /// aligned, with a .size where the kernel's has one (7.3; the room's, which an exact reservation makes the array's),
    /// so the linked symbol table is make's; the slots relative to _text as the kernel writes them (their relocations
    /// must exist in the linked image for the patcher to update); every other byte only skipped (zero), since the patch
    /// overwrites the whole room. An unpatched image therefore has kallsyms_num_syms == 0. Each array's room is kept
    /// beside the object (<see cref="Reservation"/>).
    /// </summary>
    /// <param name="reservedSizes">The room of each array by label; at least the array's size.</param>
    public static void WriteReservation(KallsymsTable table, IReadOnlyDictionary<string, int> reservedSizes, TextWriter output)
    {
        WriteArrays(table, output, (array, pointer) =>
        {
            var reserved = reservedSizes[array.SymbolName];
            if (array.Size > reserved)
                throw new KbuildException(ErrorCodes.KallsymsReservationTooSmall, null,
                    $"{array.SymbolName} needs {array.Size} bytes but only {reserved} are reserved; " +
                    "reserve more slack for this array (or relink with a new reservation).");
            WriteData(output, array, pointer, table.Target.PointerSize, reserved, (start, end) => WriteSkip(output, end - start));
        });
    }

    public static string ReservationToText(KallsymsTable table, IReadOnlyDictionary<string, int> reservedSizes)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        WriteReservation(table, reservedSizes, text);
        return text.ToString();
    }

    /// <summary>The section, then per array its global aligned label, its body and (7.3) its size.</summary>
    private static void WriteArrays(KallsymsTable table, TextWriter output, Action<KallsymsArray, string> writeBody)
    {
        var pointer = table.Target.Class == ElfClass.Elf64 ? ".quad" : ".long";
        output.Write($"/* kallsyms table for Linux {table.Layout.Description}, {table.Symbols.Count} symbols */\n");
        output.Write("\t.section .rodata, \"a\"\n");
        foreach (var array in table.Arrays)
        {
            output.Write($".globl {array.SymbolName}\n\t.balign {array.Alignment}\n{array.SymbolName}:\n");
            writeBody(array, pointer);
            if (array.HasSize) output.Write($".size {array.SymbolName}, . - {array.SymbolName}\n");
            output.Write('\n');
        }
    }

    /// <summary>
    /// The first <paramref name="length"/> bytes of an array's room: its slots relative to _text as the kernel writes
    /// them, each stretch between them (start, end) through <paramref name="writePlain"/>.
    /// </summary>
    private static void WriteData(TextWriter output, KallsymsArray array, string pointer, int pointerSize, int length,
        Action<int, int> writePlain)
    {
        var position = 0;
        foreach (var relocation in array.TextRelocations)
        {
            writePlain(position, relocation.Offset);
            if (array.RelocationKind == TextRelocationKind.PcRelative32)
            {
                output.Write($"\t.long\t_text - . + ({relocation.Addend})\n");
                position = relocation.Offset + 4;
                continue;
            }
            output.Write(relocation.Addend >= 0
                ? $"\t{pointer}\t_text + {FormatHex((ulong)relocation.Addend)}\n"
                : $"\t{pointer}\t_text - {FormatHex(unchecked((ulong)-relocation.Addend))}\n");
            position = relocation.Offset + pointerSize;
        }
        writePlain(position, length);
    }

    /// <summary>printf's %#llx: "0" for zero, else "0x…".</summary>
    private static string FormatHex(ulong value) => value == 0 ? "0" : $"0x{value:x}";

    private static void WriteSkip(TextWriter output, int count)
    {
        if (count > 0) output.Write($"\t.skip {count}\n");
    }

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
