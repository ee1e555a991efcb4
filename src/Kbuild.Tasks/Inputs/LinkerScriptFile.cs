using System.Text;
using System.Text.RegularExpressions;
using Kbuild.Diagnostics;
using Kbuild.IO;

namespace Kbuild.Inputs;

/// <summary>Reading a linker script for the parsers beside it.</summary>
internal static class LinkerScriptFile
{
    public static string Read(string path)
    {
        try
        {
            return RegularFile.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KbuildException(ErrorCodes.LinkerScriptUnreadable, path,
                $"cannot read the linker script: {e.Message}. Set VmlinuxLinkerScript to the preprocessed script (the kernel's arch/<arch>/kernel/vmlinux.lds).", inner: e);
        }
    }

    /// <summary>
    /// The script as its parsers read it: comments blanked, and the brackets and semicolons inside a quoted string (an
    /// ASSERT's message, which ld takes as it is) blanked too, so only the script's own structure is left. Same length
    /// and same lines, so positions and line numbers are the file's. An unclosed comment or string is left for the
    /// bracket check to refuse.
    /// </summary>
    public static string StructureOf(string script)
    {
        var text = script.ToCharArray();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = script.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0) break;
                for (; i < end + 2; i++) if (text[i] != '\n') text[i] = ' ';
                i--;
            }
            else if (text[i] == '"')
            {
                var end = script.IndexOf('"', i + 1);
                if (end < 0) break;
                for (i++; i < end; i++) if (text[i] is '(' or ')' or '{' or '}' or ';') text[i] = ' ';
            }
        }
        return new string(text);
    }

    /// <summary>Every '(' and '{' closed in order: ld rejects a script without, and the parser may then trust its brackets.</summary>
    public static void CheckBrackets(string text, string? path)
    {
        var open = new Stack<int>();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '(' or '{') open.Push(i);
            else if (c is ')' or '}')
            {
                if (open.Count == 0 || text[open.Peek()] != (c == ')' ? '(' : '{'))
                    throw Invalid(text, i, path, $"'{c}' closes nothing");
                open.Pop();
            }
        }
        if (open.Count > 0) throw Invalid(text, open.Peek(), path, $"'{text[open.Peek()]}' is never closed");
    }

    public static KbuildException Invalid(string text, int index, string? path, string what)
    {
        var line = text.AsSpan(0, index).Count('\n') + 1;
        return new KbuildException(ErrorCodes.LinkerScriptInvalid, path, $"linker script line {line}: {what}. " +
            "ld would reject it too: fix the script (for a kernel, rebuild arch/<arch>/kernel/vmlinux.lds).", line);
    }

    /// <summary>ld's wildcards (fnmatch): <c>*</c>, <c>?</c>, <c>[…]</c> with <c>!</c> or <c>^</c> negation.</summary>
    public static Regex GlobToRegex(string glob, string text, int index, string? path)
    {
        var pattern = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            // A '[' without its ']' is literal, as for fnmatch.
            var classEnd = c == '[' && i + 2 < glob.Length ? glob.IndexOf(']', i + 2) : -1;
            if (c == '*') pattern.Append(".*");
            else if (c == '?') pattern.Append('.');
            else if (classEnd > 0)
            {
                var members = glob[(i + 1)..classEnd];
                if (members[0] is '!' or '^') members = "^" + members[1..];
                pattern.Append('[').Append(members.Replace("\\", "\\\\")).Append(']');
                i = classEnd;
            }
            else pattern.Append(Regex.Escape(c.ToString()));
        }
        try
        {
            return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant);
        }
        catch (ArgumentException)
        {
            throw Invalid(text, index, path, $"the wildcard '{glob}' has a character class ld cannot match either");
        }
    }
}
