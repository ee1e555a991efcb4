using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Kbuild.Diagnostics;

namespace Kbuild.Linking;

/// <summary>
/// Which input sections a linker script surely discards: those whose first matching input section rule
/// (ld takes the first match in script order) is a <c>*(patterns)</c> inside <c>/DISCARD/ : { … }</c>.
/// Conservative: a rule naming particular files or using EXCLUDE_FILE may not apply to every object,
/// so a section it matches first counts as kept; so does a section no rule matches (an orphan).
/// Symbols defined in a surely discarded section never reach the linked image.
/// </summary>
public sealed partial class LinkerScriptDiscards
{
    /// <summary>An input section description: its section name patterns, and whether it surely discards.</summary>
    private sealed record InputRule(Regex[] SectionPatterns, bool Discards)
    {
        public bool Matches(string section) => SectionPatterns.Any(p => p.IsMatch(section));
    }

    private readonly InputRule[] _rules;
    private readonly ConcurrentDictionary<string, bool> _decided = new(StringComparer.Ordinal);

    private LinkerScriptDiscards(InputRule[] rules) => _rules = rules;

    /// <param name="path">The script's file, for error messages.</param>
    public static LinkerScriptDiscards Parse(string script, string? path = null)
    {
        var text = LinkerScriptFile.WithoutComments(script);
        var discardBlocks = DiscardBlocks(text, path);
        var rules = new List<InputRule>();
        var position = 0;
        while (OpeningParenthesis().Match(text, position) is { Success: true } m)
        {
            var open = m.Index + m.Length - 1;
            position = open + 1;
            var file = m.Groups["file"].Value;
            // KEEP(…), SORT(…), ALIGN(…), ADDR(…) and the like: look inside.
            if (Keyword().IsMatch(file)) continue;
            var close = Matching(text, open, '(', ')', path);
            var content = text[(open + 1)..close];
            var patterns = content.Split([' ', '\t', '\r', '\n', '(', ')', ','], StringSplitOptions.RemoveEmptyEntries)
                .Where(token => !Keyword().IsMatch(token)).Select(glob => GlobToRegex(glob, text, open, path)).ToArray();
            var everyFile = file == "*" && !content.Contains("EXCLUDE_FILE", StringComparison.Ordinal);
            rules.Add(new InputRule(patterns, everyFile && discardBlocks.Any(b => b.Start < m.Index && m.Index < b.End)));
            position = close + 1;
        }
        return new LinkerScriptDiscards([.. rules]);
    }

    public static LinkerScriptDiscards Read(string path) => Parse(LinkerScriptFile.Read(path), path);

    /// <summary>True when every object's input section of this name is discarded by the link.</summary>
    public bool Discards(string section) =>
        _decided.GetOrAdd(section, name => _rules.FirstOrDefault(r => r.Matches(name))?.Discards ?? false);

    private static List<(int Start, int End)> DiscardBlocks(string text, string? path) =>
        DiscardStatement().Matches(text).Select(m =>
        {
            var open = m.Index + m.Length - 1;
            return (open, Matching(text, open, '{', '}', path));
        }).ToList();

    /// <summary>The index of the bracket closing the one at <paramref name="open"/>; ld rejects a script without it.</summary>
    private static int Matching(string text, int open, char opening, char closing, string? path)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == opening) depth++;
            else if (text[i] == closing && --depth == 0) return i;
        }
        throw Invalid(text, open, path, $"'{opening}' is never closed");
    }

    private static KbuildException Invalid(string text, int index, string? path, string what)
    {
        var line = text.AsSpan(0, index).Count('\n') + 1;
        return new KbuildException(ErrorCodes.LinkerScriptInvalid, path, $"linker script line {line}: {what}. " +
            "ld would reject it too: fix the script (for a kernel, rebuild arch/<arch>/kernel/vmlinux.lds).", line);
    }

    /// <summary>ld's wildcards (fnmatch): <c>*</c>, <c>?</c>, <c>[…]</c> with <c>!</c> or <c>^</c> negation.</summary>
    private static Regex GlobToRegex(string glob, string text, int index, string? path)
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

    // The word before '(': a file pattern ("*", "*.o", "lib.a:member") or a keyword/function name.
    [GeneratedRegex(@"(?<file>[^\s(){};,=]*)\(")]
    private static partial Regex OpeningParenthesis();

    [GeneratedRegex("^[A-Z_][A-Z0-9_]*$")]
    private static partial Regex Keyword();

    [GeneratedRegex(@"/DISCARD/\s*:\s*\{")]
    private static partial Regex DiscardStatement();
}
