using System.Text.RegularExpressions;

namespace Kbuild.Linking;

/// <summary>
/// The symbol names a linker script defines: <c>name = expr;</c> (and compound forms like <c>+=</c>),
/// <c>PROVIDE(name = expr)</c>, <c>PROVIDE_HIDDEN(name = expr)</c>, <c>HIDDEN(name = expr)</c>.
/// These symbols exist only after the link, so the kallsyms reservation must count them. Location
/// counter assignments (<c>. = ALIGN(8);</c>) define nothing and are skipped, as are comments, output
/// section fill expressions (<c>} :text = 0xcccc</c>) and MEMORY attributes (<c>ORIGIN = …, LENGTH = …</c>).
/// </summary>
public static partial class LinkerScriptNames
{
    /// <summary>Names in order of first assignment, each once.</summary>
    public static IReadOnlyList<string> Parse(string script)
    {
        var text = LinkerScriptFile.WithoutComments(script);
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Assignment().Matches(text))
        {
            var name = m.Groups["quoted"].Success ? m.Groups["quoted"].Value : m.Groups["name"].Value;
            if (name == "." || !StartsStatement(text, m.Index)) continue;
            if (seen.Add(name)) names.Add(name);
        }
        return names;
    }

    public static IReadOnlyList<string> Read(string path) => Parse(LinkerScriptFile.Read(path));

    // A name directly after ':' (program header, "} :text = fill"), '>' (memory region) or ','
    // (MEMORY's LENGTH) is not a statement of its own.
    private static bool StartsStatement(string text, int index)
    {
        var i = index - 1;
        while (i >= 0 && char.IsWhiteSpace(text[i])) i--;
        return i < 0 || text[i] is not (':' or '>' or ',');
    }

    // ld's unquoted symbol names: a letter, '_' or '.' first, then letters, digits, '_', '.', '$'.
    [GeneratedRegex("""(?<![\w.$])(?:"(?<quoted>[^"]+)"|(?<name>[A-Za-z_.][\w.$]*))\s*(?:[-+*/&|]|<<|>>)?=(?!=)""")]
    private static partial Regex Assignment();
}
