using System.Text;

namespace Kbuild.Kernel;

/// <summary>
/// The two ways the kernel's shell turns a string into words, each named for what it is. A flags property, a make
/// variable handed to a recipe, <c>$(CC)</c> ("ccache gcc"), make's arguments: <see cref="CommandLine"/>, as the shell
/// reads the words of a command it is given. What link-vmlinux.sh expands unquoted (<c>${ldflags}</c>, make's
/// <c>$(newer-prereqs)</c>): <see cref="UnquotedExpansion"/>, the shell's field splitting, in which quotes are
/// characters like any other.
/// </summary>
public static class ShellWords
{
    /// <summary>
    /// The words of a command line as the shell reads them: split on whitespace, single or double quotes grouping, a
    /// backslash taking the next character literally (inside double quotes too). Empty for null or blank text.
    /// </summary>
    public static IReadOnlyList<string> CommandLine(string? text)
    {
        var result = new List<string>();
        if (string.IsNullOrWhiteSpace(text)) return result;
        var current = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == '\\' && quote == '"' && i + 1 < text.Length) current.Append(text[++i]);
                else current.Append(c);
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                current.Append(text[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) result.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }
        if (inWord) result.Add(current.ToString());
        return result;
    }

    /// <summary>
    /// The fields of an unquoted expansion (<c>${ldflags}</c> in link-vmlinux.sh) under the default IFS: split on
    /// spaces, tabs and newlines, empty fields dropped, quotes and backslashes kept as they are.
    /// </summary>
    public static string[] UnquotedExpansion(string? text) =>
        (text ?? "").Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
}
