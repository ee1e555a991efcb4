using System.Text.RegularExpressions;

namespace Kbuild.IO;

/// <summary>
/// A GNU-style diagnostic line as gcc, clang, as and make print it — <c>file:line[:column]: error|warning: text</c>
/// — so a tool's output becomes canonical MSBuild errors and warnings that IDEs list with their place.
/// </summary>
public sealed partial record ToolDiagnostic(string File, int Line, int Column, bool IsError, string Message)
{
    public static ToolDiagnostic? TryParse(string line)
    {
        var m = Gnu().Match(line);
        if (!m.Success) return null;
        return new ToolDiagnostic(m.Groups["file"].Value, int.Parse(m.Groups["line"].Value),
            m.Groups["column"].Success ? int.Parse(m.Groups["column"].Value) : 0,
            m.Groups["severity"].Value != "warning", m.Groups["message"].Value);
    }

    [GeneratedRegex(@"^(?<file>[^\s:][^:]*):(?<line>\d{1,9}):(?:(?<column>\d{1,9}):)? (?<severity>fatal error|error|warning): (?<message>.*)$")]
    private static partial Regex Gnu();
}
