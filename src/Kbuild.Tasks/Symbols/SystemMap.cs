using System.Globalization;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.IO;

namespace Kbuild.Symbols;

/// <summary>
/// Reads System.map / <c>nm -n</c> text: one "hexaddress type name" per line. Names are Latin-1 strings
/// (one char per byte), as the ELF reader gives them, so any byte sequence round-trips exactly.
/// </summary>
public static class SystemMap
{
    public static IReadOnlyList<NmSymbol> Read(string path)
    {
        try
        {
            RegularFile.Check(path);
            using var reader = new StreamReader(path, Encoding.Latin1);
            return Parse(reader, path);
        }
        catch (IOException e)
        {
            throw new KbuildException(ErrorCodes.SystemMapUnreadable, path,
                $"cannot read the symbol map: {e.Message}. Check that the file exists and is readable.", inner: e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new KbuildException(ErrorCodes.SystemMapUnreadable, path,
                $"cannot read the symbol map: {e.Message}. Check the file's permissions.", inner: e);
        }
    }

    /// <param name="fileName">Shown in errors; null for text that is not from a file.</param>
    public static IReadOnlyList<NmSymbol> Parse(TextReader reader, string? fileName)
    {
        var symbols = new List<NmSymbol>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            symbols.Add(ParseLine(line) ?? throw new KbuildException(ErrorCodes.SystemMapLineInvalid, fileName,
                $"line is not \"<hex address> <type letter> <name>\": '{Shorten(line)}'. " +
                "The map must be the output of nm -n (filtered by mksysmap), one symbol per line.", lineNumber));
        }
        return symbols;
    }

    private static NmSymbol? ParseLine(string line)
    {
        var space = line.IndexOf(' ');
        if (space <= 0 || line.Length < space + 4 || line[space + 2] != ' ') return null;
        var type = line[space + 1];
        var name = line[(space + 3)..];
        if (!char.IsAscii(type) || char.IsWhiteSpace(type) || name.AsSpan().IndexOfAny(' ', '\t') >= 0) return null;
        return ulong.TryParse(line.AsSpan(0, space), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture,
            out var address)
            ? new NmSymbol(address, type, name)
            : null;
    }

    private static string Shorten(string line) => line.Length <= 120 ? line : line[..120] + "…";
}
