namespace Kbuild.Diagnostics;

/// <summary>
/// A user-facing failure: a stable code from <see cref="ErrorCodes"/>, the file it concerns and what to do.
/// Tasks turn it into a canonical MSBuild error; plain-class callers (tests, tools) read the fields.
/// </summary>
public sealed class KbuildException : Exception
{
    public KbuildException(string code, string? file, string message, int line = 0, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        File = file;
        Line = line;
    }

    public string Code { get; }

    /// <summary>The file the problem is in or about; null when no single file is to blame.</summary>
    public string? File { get; }

    /// <summary>1-based line in <see cref="File"/>, or 0 when not line-oriented.</summary>
    public int Line { get; }

    public override string ToString() =>
        $"{File ?? "kbuild"}{(Line > 0 ? $"({Line})" : "")}: error {Code}: {Message}";
}
