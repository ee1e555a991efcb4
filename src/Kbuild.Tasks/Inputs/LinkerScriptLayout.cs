using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace Kbuild.Inputs;

/// <summary>
/// An output section statement of a linker script, in script order (<c>/DISCARD/</c> included). ld keeps an output
/// section that gets no input bytes only when the script assigns to dot or places data in it (<see cref="KeptByScript"/>).
/// <see cref="ScriptBytes"/>: what the script's own <c>. += N</c> add, when N is a constant (null: not known);
/// <see cref="EndsWithAlign"/>: the body ends with <c>. = ALIGN(…)</c>; <see cref="AfterDotMove"/>: the script moves dot
/// between the section before and this one (which still counts when ld drops this one); <see cref="Address"/>: the
/// header gives the section an address of its own (x86's <c>.data..percpu 0 :</c>), so it does not start at dot;
/// <see cref="Alignment"/>: the header's <c>ALIGN(…)</c>; <see cref="SubAligned"/>: the header's <c>SUBALIGN(…)</c>
/// overrides its input sections' alignments.
/// </summary>
public sealed record ScriptOutputSection(int Index, string Name, bool NoLoad, bool KeptByScript, ulong? ScriptBytes, bool EndsWithAlign,
    IReadOnlyList<int> Gaps, bool AfterDotMove = false, string? Address = null, string? Alignment = null, bool SubAligned = false)
{
    // Gaps: positions of dot moves that most likely skip bytes (ALIGN to a page or more, ". += N", ". = expr").

    public bool Discards => Name == "/DISCARD/";
    public bool HasAddress => Address != null;
}

/// <summary>An input section description: which output section it fills, where in it, and what it matches;
/// <see cref="Sorted"/>: a SORT… of its patterns orders its sections other than by input order.</summary>
public sealed record ScriptInputRule(int Section, int Position, Regex File, bool EveryFile, Regex[] SectionPatterns, bool Sorted = false)
{
    public bool Matches(string file, string section) =>
        (EveryFile || File.IsMatch(file)) && SectionPatterns.Any(p => p.IsMatch(section));
}

/// <summary>
/// A symbol assignment: <c>name = expr;</c> or inside <c>PROVIDE</c>/<c>PROVIDE_HIDDEN</c>/<c>HIDDEN</c>; where it
/// stands (inside output section <see cref="Section"/> at <see cref="Position"/>, or between sections after
/// <see cref="PreviousSection"/>), and whether the location counter was moved since that section ended.
/// </summary>
public sealed record ScriptAssignment(string Name, string Expression, bool Provide, bool Hidden, int Section, int Position,
    int PreviousSection, bool AfterDotMove);

/// <summary>What a step of the script is: <see cref="ScriptStep"/>.</summary>
public enum ScriptStepKind { SectionStart, SectionEnd, Rule, Assignment, Dot, Data }

/// <summary>
/// One statement of SECTIONS in the order ld walks them (and so moves dot): an output section's start or end (Index: the
/// section), an input section description (Index: the rule), a symbol assignment (Index: the assignment), an assignment
/// to dot (<see cref="Expression"/>: dot's new value, <c>. += 8</c> as <c>. + (8)</c>), or data (<c>LONG(…)</c>: Index
/// is its size in bytes).
/// </summary>
public sealed record ScriptStep(ScriptStepKind Kind, int Index, string? Expression = null);

/// <summary>
/// The SECTIONS of a linker script as far as the symbol set of a link depends on it: output sections in order,
/// their input section descriptions (ld places an input section by the first description that matches it), and
/// the symbol assignments with their place. Expressions are kept as text, not evaluated.
/// </summary>
public sealed partial class LinkerScriptLayout
{
    private readonly ConcurrentDictionary<(string, string), int> _placed = new();

    private LinkerScriptLayout(IReadOnlyList<ScriptOutputSection> sections, IReadOnlyList<ScriptInputRule> rules,
        IReadOnlyList<ScriptAssignment> assignments, IReadOnlyList<ScriptStep> steps)
    {
        Sections = sections;
        Rules = rules;
        Assignments = assignments;
        Steps = steps;
        _hasFileRules = rules.Any(r => !r.EveryFile);
    }

    private readonly bool _hasFileRules;

    public IReadOnlyList<ScriptOutputSection> Sections { get; }
    public IReadOnlyList<ScriptInputRule> Rules { get; }
    public IReadOnlyList<ScriptAssignment> Assignments { get; }
    /// <summary>SECTIONS, statement by statement (assignments outside SECTIONS are not among them).</summary>
    public IReadOnlyList<ScriptStep> Steps { get; }

    public static LinkerScriptLayout Read(string path) => Parse(LinkerScriptFile.Read(path), path);

    /// <summary>The first rule matching an input section of <paramref name="file"/>, or null for an orphan.</summary>
    public ScriptInputRule? RuleFor(string file, string section)
    {
        var everyFile = _placed.GetOrAdd(("*", section), key => IndexOfFirst(r => r.EveryFile && r.Matches("", key.Item2)));
        var anyFile = _hasFileRules ? IndexOfFirst(r => !r.EveryFile && r.Matches(file, section)) : -1;
        var first = everyFile < 0 ? anyFile : anyFile < 0 ? everyFile : Math.Min(everyFile, anyFile);
        return first < 0 ? null : Rules[first];
    }

    private int IndexOfFirst(Func<ScriptInputRule, bool> match)
    {
        for (var i = 0; i < Rules.Count; i++)
            if (match(Rules[i])) return i;
        return -1;
    }

    /// <param name="path">The script's file, for error messages.</param>
    public static LinkerScriptLayout Parse(string script, string? path = null)
    {
        var text = LinkerScriptFile.StructureOf(script);
        LinkerScriptFile.CheckBrackets(text, path);
        var sections = new List<ScriptOutputSection>();
        var rules = new List<ScriptInputRule>();
        var assignments = new List<ScriptAssignment>();
        var steps = new List<ScriptStep>();
        var start = SectionsKeyword().Match(text);
        var bodyStart = start.Success ? start.Index + start.Length : text.Length;
        var bodyEnd = start.Success ? Matching(text, bodyStart - 1, '{', '}') : text.Length;

        // Assignments outside SECTIONS (e.g. "jiffies = jiffies_64;" on x86) stand before every section.
        foreach (var (from, to) in new[] { (0, start.Success ? start.Index : text.Length), (Math.Min(bodyEnd + 1, text.Length), text.Length) })
            foreach (var statement in Statements(text, from, to))
                if (ParseAssignment(statement) is { } a)
                    assignments.Add(new ScriptAssignment(a.Name, a.Expression, a.Provide, a.Hidden, -1, 0, -1, false));

        var previous = -1;
        var dotMoved = false;
        var i = bodyStart;
        while (i < bodyEnd)
        {
            i = SkipSpace(text, i, bodyEnd);
            if (i >= bodyEnd) break;
            // ASSERT(…) needs no ';' (arm64: "ASSERT(SIZEOF(.data.rel.ro) == 0, …)" then "_data = .;"): skip it whole.
            if (Word().Match(text, i) is { Success: true, Value: "ASSERT" } assert && SkipSpace(text, i + assert.Length, bodyEnd) is var open
                && open < bodyEnd && text[open] == '(')
            {
                i = Matching(text, open, '(', ')') + 1;
                continue;
            }
            var end = NextAtDepth0(text, i, bodyEnd, ';', '{');
            if (end < bodyEnd && text[end] == '{')
            {
                var header = text[i..end];
                var name = header.Trim().Split([' ', '\t', '\n', '\r', ':', '('], 2)[0];
                var index = sections.Count;
                var close = Matching(text, end, '{', '}');
                var position = 0;
                var body = new BodyFacts();
                ParseBody(text, path, end + 1, close, index, ref position, body, rules, assignments, 0);
                var (alignment, subAligned) = HeaderAlignment(header);
                sections.Add(new ScriptOutputSection(index, name, IsNoLoad(header, name), body.Kept,
                    body.Bytes, body.EndsWithAlign, body.Gaps, dotMoved, OwnAddress(header, name), alignment, subAligned));
                steps.Add(new ScriptStep(ScriptStepKind.SectionStart, index));
                steps.AddRange(body.Steps);
                steps.Add(new ScriptStep(ScriptStepKind.SectionEnd, index));
                i = SkipTrailer(text, close + 1, bodyEnd);
                previous = index;
                dotMoved = false;
                continue;
            }
            var statement = text[i..Math.Min(end, bodyEnd)];
            i = end + 1;
            if (DotMove().IsMatch(statement))
            {
                dotMoved = true;
                steps.Add(new ScriptStep(ScriptStepKind.Dot, 0, DotValue(statement)));
                continue;
            }
            if (ParseAssignment(statement) is { } assignment)
            {
                steps.Add(new ScriptStep(ScriptStepKind.Assignment, assignments.Count));
                assignments.Add(new ScriptAssignment(assignment.Name, assignment.Expression, assignment.Provide, assignment.Hidden,
                    -1, 0, previous, dotMoved));
            }
        }
        return new LinkerScriptLayout(sections, rules, assignments, steps);
    }

    /// <summary>What a section body does to dot, besides its input sections.</summary>
    private sealed class BodyFacts
    {
        public bool Kept, EndsWithAlign;
        public ulong? Bytes = 0;
        public readonly List<int> Gaps = [];
        public readonly List<ScriptStep> Steps = [];
    }

    // ld nests KEEP(SORT_BY_NAME(…)) a level or two; a script nesting them deeper is refused, not recursed into.
    private const int MaxNesting = 8;

    private static void ParseBody(string text, string? path, int from, int to, int section, ref int position, BodyFacts body,
        List<ScriptInputRule> rules, List<ScriptAssignment> assignments, int nesting)
    {
        if (nesting > MaxNesting)
            throw LinkerScriptFile.Invalid(text, from, path, $"KEEP/SORT nested more than {MaxNesting} deep");
        var i = from;
        while (i < to)
        {
            i = SkipSpace(text, i, to);
            if (i >= to) break;
            if (text[i] == ';') { i++; continue; }
            var word = Word().Match(text, i);
            var wordEnd = word.Success && word.Index == i ? i + word.Length : i + 1;
            var next = SkipSpace(text, wordEnd, to);
            if (next < to && text[next] == '(' && word.Value is "KEEP" or "SORT" or "SORT_BY_NAME" or "SORT_NONE")
            {
                // KEEP(*(…)): the description inside is the rule.
                var close = Matching(text, next, '(', ')');
                ParseBody(text, path, next + 1, close, section, ref position, body, rules, assignments, nesting + 1);
                body.EndsWithAlign = false;
                i = close + 1;
                continue;
            }
            if (next < to && text[next] == '(' && Keyword().IsMatch(word.Value) && word.Value is not ("PROVIDE" or "PROVIDE_HIDDEN" or "HIDDEN"))
            {
                i = Matching(text, next, '(', ')') + 1; // BYTE(…), LONG(…), FILL(…), ASSERT(…)
                var size = word.Value switch { "BYTE" => 1, "SHORT" => 2, "LONG" => 4, "QUAD" or "SQUAD" => 8, _ => 0 };
                body.Kept |= size > 0;
                if (size > 0)
                {
                    body.Bytes = null;
                    body.EndsWithAlign = false;
                    body.Steps.Add(new ScriptStep(ScriptStepKind.Data, size));
                }
                continue;
            }
            if (next < to && text[next] == '(' && !Keyword().IsMatch(word.Value))
            {
                var close = Matching(text, next, '(', ')');
                var content = text[(next + 1)..close];
                var excludes = ExcludeFile().IsMatch(content);
                content = ExcludeFile().Replace(content, " ");
                var tokens = content.Split([' ', '\t', '\r', '\n', '(', ')', ','], StringSplitOptions.RemoveEmptyEntries);
                var patterns = tokens.Where(token => !Keyword().IsMatch(token)).Select(glob => LinkerScriptFile.GlobToRegex(glob, text, next, path)).ToArray();
                var sorted = tokens.Any(token => token.StartsWith("SORT", StringComparison.Ordinal) && token != "SORT_NONE");
                body.Steps.Add(new ScriptStep(ScriptStepKind.Rule, rules.Count));
                rules.Add(new ScriptInputRule(section, position++, LinkerScriptFile.GlobToRegex(word.Value, text, i, path), word.Value == "*" && !excludes,
                    patterns, sorted));
                body.EndsWithAlign = false;
                i = close + 1;
                continue;
            }
            var end = NextAtDepth0(text, i, to, ';', '\0');
            var statement = text[i..Math.Min(end, to)];
            i = end + 1;
            var trimmed = statement.Trim();
            if (DotMove().IsMatch(trimmed))
            {
                body.Kept = true; // ld keeps a section whose dot the script moves
                body.Steps.Add(new ScriptStep(ScriptStepKind.Dot, 0, DotValue(trimmed)));
                var align = DotAlign().IsMatch(trimmed);
                body.EndsWithAlign = align;
                var small = align && DotAlign().Match(trimmed) is var m && Constant(trimmed[m.Length..].TrimEnd(')', ' ')) is < 4096;
                if (!small) body.Gaps.Add(position++);
                if (!align) body.Bytes = DotPlus().Match(trimmed) is { Success: true } plus && Constant(plus.Groups["n"].Value) is { } n
                    ? body.Bytes + n : null;
            }
            else if (ParseAssignment(statement) is { } a)
            {
                body.Steps.Add(new ScriptStep(ScriptStepKind.Assignment, assignments.Count));
                assignments.Add(new ScriptAssignment(a.Name, a.Expression, a.Provide, a.Hidden, section, position++, section, false));
            }
        }
    }

    private static (string Name, string Expression, bool Provide, bool Hidden)? ParseAssignment(string statement, bool wrapped = false)
    {
        var s = LeadingDirectives().Replace(statement.Trim(), "");
        var wrapper = Wrapper().Match(s);
        if (wrapper.Success)
        {
            var inner = s[(wrapper.Length)..];
            var close = inner.LastIndexOf(')');
            if (close < 0 || wrapped) return null;  // ld has no PROVIDE(PROVIDE(…))
            var a = ParseAssignment(inner[..close], wrapped: true);
            if (a is not { } x) return null;
            var kind = wrapper.Groups["kind"].Value;
            return (x.Name, x.Expression, kind.StartsWith("PROVIDE", StringComparison.Ordinal), kind.EndsWith("HIDDEN", StringComparison.Ordinal));
        }
        var m = Assignment().Match(s);
        if (!m.Success || m.Groups["name"].Value == ".") return null;
        return (m.Groups["name"].Value, s[m.Length..].Trim(), false, false);
    }

    private const int MaxConstantParentheses = 64;

    /// <summary>A constant expression of numbers, + - * / and &lt;&lt; with parentheses (e.g. "64 * 1024"), or null.</summary>
    internal static ulong? Constant(string expression)
    {
        var tokens = ConstantToken().Matches(expression).Select(m => m.Value).ToList();
        if (string.Concat(tokens) != Regex.Replace(expression, @"\s+", "")) return null;
        // Parentheses are evaluated by recursion: a depth no script needs is not a constant worth knowing.
        if (tokens.Count(t => t == "(") > MaxConstantParentheses) return null;
        var at = 0;
        ulong? Sum()
        {
            var value = Product();
            while (value != null && at < tokens.Count && tokens[at] is "+" or "-" or "<<")
            {
                var op = tokens[at++];
                var right = Product();
                value = right == null ? null : op == "+" ? value + right : op == "-" ? value - right : value << (int)right;
            }
            return value;
        }
        ulong? Product()
        {
            var value = Atom();
            while (value != null && at < tokens.Count && tokens[at] is "*" or "/")
            {
                var op = tokens[at++];
                var right = Atom();
                value = right is null or 0 ? null : op == "*" ? value * right : value / right;
            }
            return value;
        }
        ulong? Atom()
        {
            if (at >= tokens.Count) return null;
            var t = tokens[at++];
            if (t == "(") { var v = Sum(); return at < tokens.Count && tokens[at++] == ")" ? v : null; }
            if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                return ulong.TryParse(t[2..], System.Globalization.NumberStyles.HexNumber, null, out var h) ? h : null;
            return ulong.TryParse(t, out var d) ? d : null;
        }
        var result = Sum();
        return at == tokens.Count ? result : null;
    }

    /// <summary>Statements (up to ';') between two offsets, ignoring blocks such as PHDRS { … } or MEMORY { … }.</summary>
    private static IEnumerable<string> Statements(string text, int from, int to)
    {
        var i = from;
        while (i < to)
        {
            var end = NextAtDepth0(text, i, to, ';', '{');
            if (end < to && text[end] == '{') { i = Matching(text, end, '{', '}') + 1; continue; }
            yield return text[i..Math.Min(end, to)];
            i = end + 1;
        }
    }

    /// <summary>"NAME [ADDRESS] [(TYPE)] : …": the address, something before the colon other than the name and a type.</summary>
    private static string? OwnAddress(string header, string name)
    {
        var beforeColon = header.Trim()[name.Length..].Split(':', 2)[0];
        var address = SectionType().Replace(beforeColon, "").Trim();
        return address.Length > 0 ? address : null;
    }

    /// <summary>"… : [AT(LMA)] [ALIGN(A)] [SUBALIGN(S)] …": A's expression, and whether SUBALIGN is there.</summary>
    private static (string? Alignment, bool SubAligned) HeaderAlignment(string header)
    {
        var colon = header.IndexOf(':');
        if (colon < 0) return (null, false);
        string? alignment = null;
        var subAligned = false;
        for (var at = colon + 1; at < header.Length && Word().Match(header, SkipSpace(header, at, header.Length)) is { Success: true } w; )
        {
            var open = SkipSpace(header, w.Index + w.Length, header.Length);
            if (open >= header.Length || header[open] != '(') break;
            var close = Math.Min(Matching(header, open, '(', ')'), header.Length - 1);
            if (w.Value == "ALIGN") alignment = header[(open + 1)..close].Trim();
            subAligned |= w.Value == "SUBALIGN";
            at = close + 1;
        }
        return (alignment, subAligned);
    }

    /// <summary>The value an assignment to dot gives it: ". = X" → X, ". += N" → ". + (N)".</summary>
    private static string DotValue(string statement)
    {
        var move = DotMove().Match(statement.Trim());
        var value = statement.Trim()[move.Length..].Trim();
        var op = move.Value.TrimStart('.').Trim().TrimEnd('=');
        return op.Length == 0 ? value : $". {op} ({value})";
    }

    /// <summary>"NAME [ADDRESS] (NOLOAD) : …": the type, not a word of the address or of an AT(…) after the colon.</summary>
    private static bool IsNoLoad(string header, string name) =>
        SectionType().Matches(header.Trim()[name.Length..].Split(':', 2)[0]).Any(m => m.Groups[1].Value == "NOLOAD");

    [GeneratedRegex(@"\(\s*(NOLOAD|DSECT|COPY|INFO|OVERLAY|READONLY)\s*\)")]
    private static partial Regex SectionType();

    /// <summary>After an output section's '}': memory regions, program headers (":text") and a fill ("=0xcccc").</summary>
    private static int SkipTrailer(string text, int i, int to)
    {
        while (true)
        {
            var j = SkipSpace(text, i, to);
            if (j >= to) return j;
            if (text[j] is ':' or '>' || text.AsSpan(j).StartsWith("AT>"))
            {
                j = SkipSpace(text, j + (text[j] == 'A' ? 3 : 1), to);
                var w = Word().Match(text, j);
                i = w.Success && w.Index == j ? j + w.Length : j;
            }
            else if (text[j] == '=' && (j + 1 >= to || text[j + 1] != '='))
            {
                j = SkipSpace(text, j + 1, to);
                var w = Word().Match(text, j);
                i = w.Success && w.Index == j ? j + w.Length : j;
            }
            else return j;
        }
    }

    private static int SkipSpace(string text, int i, int to)
    {
        while (i < to && char.IsWhiteSpace(text[i])) i++;
        return i;
    }

    /// <summary>The next <paramref name="a"/> or <paramref name="b"/> outside parentheses, or <paramref name="to"/>.</summary>
    private static int NextAtDepth0(string text, int i, int to, char a, char b)
    {
        var depth = 0;
        for (; i < to; i++)
        {
            var c = text[i];
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (depth == 0 && (c == a || c == b)) return i;
        }
        return to;
    }

    internal static int Matching(string text, int open, char opening, char closing)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == opening) depth++;
            else if (text[i] == closing && --depth == 0) return i;
        }
        return text.Length;
    }

    // OUTPUT_FORMAT(…), OUTPUT_ARCH(…), ENTRY(…) need no ';', so they can start the text of the next statement.
    [GeneratedRegex(@"^(?:(?:OUTPUT_FORMAT|OUTPUT_ARCH|ENTRY|TARGET|SEARCH_DIR|STARTUP|INPUT|GROUP|OUTPUT)\s*\([^)]*\)\s*)+")]
    private static partial Regex LeadingDirectives();

    [GeneratedRegex(@"\bSECTIONS\s*\{")]
    private static partial Regex SectionsKeyword();

    [GeneratedRegex(@"\G[^\s(){};,=]+")]
    private static partial Regex Word();

    [GeneratedRegex("^[A-Z_][A-Z0-9_]*$")]
    private static partial Regex Keyword();

    [GeneratedRegex(@"EXCLUDE_FILE\s*\([^)]*\)")]
    private static partial Regex ExcludeFile();

    [GeneratedRegex(@"^\.\s*(?:[-+*/&|]|<<|>>)?=")]
    private static partial Regex DotMove();

    [GeneratedRegex(@"^\.\s*=\s*ALIGN\s*\(")]
    private static partial Regex DotAlign();

    [GeneratedRegex(@"^\.\s*\+=\s*(?<n>.+)$", RegexOptions.Singleline)]
    private static partial Regex DotPlus();

    [GeneratedRegex(@"0[xX][0-9a-fA-F]+|[0-9]+|<<|[-+*/()]")]
    private static partial Regex ConstantToken();

    [GeneratedRegex(@"^(?<kind>PROVIDE_HIDDEN|PROVIDE|HIDDEN)\s*\(")]
    private static partial Regex Wrapper();

    [GeneratedRegex("""^(?:"(?<name>[^"]+)"|(?<name>[A-Za-z_.][\w.$]*))\s*(?:[-+*/&|]|<<|>>)?=(?!=)""")]
    private static partial Regex Assignment();
}
