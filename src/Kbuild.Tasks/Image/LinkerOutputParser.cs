using System.Text.RegularExpressions;

namespace Kbuild.Image;

public enum LinkerSeverity { Error, Warning, Message }

/// <summary>One diagnostic of ld.bfd or ld.lld, with the file (and line) it blames when the linker said.</summary>
public sealed record LinkerDiagnostic(LinkerSeverity Severity, string? File, int Line, string Message);

/// <summary>
/// Turns linker output lines into diagnostics, for GNU ld and ld.lld:
/// <code>
/// ld: a.o: in function `main':                       (context for the next line)
/// a.c:(.text+0x5): undefined reference to `foo'      → error, file a.c
/// ld: warning: a.o: missing .note.GNU-stack section  → warning
/// ld:vmlinux.lds:3: syntax error                     → error, file vmlinux.lds, line 3
/// ld.lld: error: undefined symbol: foo               → error, file from the ">>> referenced by" lines
/// >>> referenced by a.o:(main)
/// </code>
/// Feed every line, then <see cref="Flush"/>: an ld.lld diagnostic is complete only when its
/// ">>>" continuation lines have been read.
/// </summary>
public sealed partial class LinkerOutputParser
{
    private LinkerDiagnostic? _pending;
    private string? _context;

    public IEnumerable<LinkerDiagnostic> Feed(string line)
    {
        if (line.StartsWith(">>>", StringComparison.Ordinal) && _pending != null)
        {
            var detail = line[3..].Trim();
            var file = _pending.File;
            var lineNumber = _pending.Line;
            if (file == null && Continuation().Match(detail) is { Success: true } c)
                (file, lineNumber) = Location(c.Groups["loc"].Value);
            _pending = _pending with { File = file, Line = lineNumber, Message = _pending.Message + "\n" + detail };
            return [];
        }

        var done = Flush().ToList();
        var parsed = Parse(line);
        if (parsed is { Severity: not LinkerSeverity.Message }) _pending = parsed;
        else if (parsed != null) done.Add(parsed);
        return done;
    }

    public IEnumerable<LinkerDiagnostic> Flush()
    {
        if (_pending == null) return [];
        var done = _pending;
        _pending = null;
        return [done];
    }

    private LinkerDiagnostic? Parse(string line)
    {
        if (line.Length == 0) return null;
        var prefixed = ToolPrefix().Match(line);
        var rest = prefixed.Success ? line[prefixed.Length..] : line;

        if (FunctionContext().Match(rest) is { Success: true } function)
        {
            _context = function.Groups["context"].Value;
            return null;
        }

        var severity = LinkerSeverity.Error;
        if (SeverityWord().Match(rest) is { Success: true } word)
        {
            severity = word.Groups["word"].Value.ToLowerInvariant() switch
            {
                "warning" => LinkerSeverity.Warning,
                "note" => LinkerSeverity.Message,
                _ => LinkerSeverity.Error,
            };
            rest = rest[word.Length..];
        }
        else if (!prefixed.Success && !LocatedMessage().IsMatch(rest))
        {
            return new LinkerDiagnostic(LinkerSeverity.Message, null, 0, line);
        }

        string? file = null;
        var lineNumber = 0;
        var message = rest;
        if (LocatedMessage().Match(rest) is { Success: true } located)
        {
            (file, lineNumber) = Location(located.Groups["loc"].Value);
            message = located.Groups["message"].Value;
            if (WarningInMessage().Match(message) is { Success: true } inner)
            {
                severity = LinkerSeverity.Warning;
                message = message[inner.Length..];
            }
        }
        else if (InputFileMention().Match(rest) is { Success: true } mention)
        {
            file = mention.Groups["file"].Value;
        }

        if (_context != null && file != null)
        {
            message = $"{_context}: {message}";
            _context = null;
        }
        return new LinkerDiagnostic(severity, file, lineNumber, message);
    }

    // "a.c:12", "a.o:(.text+0x5)", "a.o:(main)" or a bare file.
    private static (string File, int Line) Location(string location)
    {
        var m = LocationParts().Match(location);
        if (!m.Success) return (location, 0);
        return (m.Groups["file"].Value, m.Groups["line"].Success ? int.Parse(m.Groups["line"].Value) : 0);
    }

    // The linker's own name as it prints it: ld, ld.bfd, ld.lld, ld.lld-16, x86_64-linux-gnu-ld, /usr/bin/ld.
    [GeneratedRegex(@"^(?:\S*/)?(?:[\w.+-]*-)?ld(?:\.\w+)?(?:-\d+(?:\.\d+)*)?:\s?")]
    private static partial Regex ToolPrefix();

    [GeneratedRegex(@"^(?<word>error|warning|note|NOTE|fatal error):\s*")]
    private static partial Regex SeverityWord();

    [GeneratedRegex(@"^warning:\s*")]
    private static partial Regex WarningInMessage();

    [GeneratedRegex(@"^\S+: (?<context>in function [`'].*[`']):$")]
    private static partial Regex FunctionContext();

    [GeneratedRegex(@"^(?<loc>[^\s:()]+(?::\d+|:\([^)]*\))?): (?<message>.+)$")]
    private static partial Regex LocatedMessage();

    [GeneratedRegex(@"^(?<file>[^\s:()]+)(?::(?<line>\d+)|:\((?<where>[^)]*)\))?$")]
    private static partial Regex LocationParts();

    [GeneratedRegex(@"^(?:referenced by|defined at|defined in)\s+(?<loc>\S+)|^(?<loc>\S+:\([^)]*\))")]
    private static partial Regex Continuation();

    [GeneratedRegex(@"input file [`'](?<file>[^']+)'")]
    private static partial Regex InputFileMention();
}
