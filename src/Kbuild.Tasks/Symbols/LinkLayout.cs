using System.Text.RegularExpressions;
using Kbuild.Inputs;

namespace Kbuild.Symbols;

/// <summary>
/// A place dot cannot be known at before linking — after the kallsyms table (whose size is what is being predicted), a
/// section the linker resizes, an expression not modelled, an ALIGN wider than what is known of dot — but whose address
/// is a multiple of <see cref="Alignment"/> and not below <see cref="NotBelow"/> (null: unrelated to anything before).
/// </summary>
internal sealed class LayoutBase(ulong alignment, LayoutAddress? notBelow)
{
    public ulong Alignment { get; } = alignment;
    public LayoutAddress? NotBelow { get; } = notBelow;
}

/// <summary>An address the link will give: an exact offset from a base (null: from 0, an absolute address).</summary>
internal readonly record struct LayoutAddress(LayoutBase? Base, ulong Offset);

/// <summary>
/// Orders addresses against one fixed address: certainly below, equal or above, or not known before the link. A kernel's
/// layout has thousands of bases (one after each section ld resizes, such as every merged string section), so the floor
/// learnt for each base is kept.
/// </summary>
internal sealed class LayoutOrder
{
    private readonly LayoutAddress _fixed;
    // For each base the fixed address's chain of floors passes: the fixed address is at least that base plus this.
    private readonly Dictionary<LayoutBase, ulong> _fixedAbove = [];
    private readonly ulong? _fixedAboveAbsolute;
    // For each base asked about: it is at least the fixed address's base plus this (null: no relation known).
    private readonly Dictionary<LayoutBase, ulong?> _aboveFixedBase = [];

    public LayoutOrder(LayoutAddress fixedAddress)
    {
        _fixed = fixedAddress;
        var bound = fixedAddress.Offset;
        for (var b = fixedAddress.Base; b?.NotBelow is { } floor; b = floor.Base)
        {
            bound += floor.Offset;
            if (floor.Base == null) _fixedAboveAbsolute = bound;
            else _fixedAbove.TryAdd(floor.Base, bound);
        }
    }

    /// <summary>-1, 0 or 1 when the order of <paramref name="x"/> against the fixed address is certain; null when only the
    /// link can tell.</summary>
    public int? Compare(LayoutAddress x)
    {
        if (x.Base == _fixed.Base) return x.Offset.CompareTo(_fixed.Offset);
        var fixedAtLeast = x.Base == null ? _fixedAboveAbsolute : _fixedAbove.TryGetValue(x.Base, out var n) ? n : null;
        if (x.Offset < fixedAtLeast) return -1;
        if (x.Base != null && FloorAboveFixedBase(x.Base) + x.Offset > _fixed.Offset) return 1;
        return null;
    }

    /// <summary>How far above the fixed address's base a base is at least, through its chain of floors (walked without
    /// recursion: chains run thousands deep).</summary>
    private ulong? FloorAboveFixedBase(LayoutBase start)
    {
        if (_aboveFixedBase.TryGetValue(start, out var known)) return known;
        var path = new List<LayoutBase>();
        ulong? last;
        for (var b = start; ; )
        {
            path.Add(b);
            if (b.NotBelow is not { } floor) { last = null; break; }
            if (floor.Base == _fixed.Base) { last = floor.Offset; break; }
            if (floor.Base is not { } next) { last = null; break; }
            if (_aboveFixedBase.TryGetValue(next, out var memo)) { last = memo + floor.Offset; break; }
            b = next;
        }
        _aboveFixedBase[path[^1]] = last;
        for (var i = path.Count - 2; i >= 0; i--)
            _aboveFixedBase[path[i]] = last += path[i].NotBelow!.Value.Offset;
        return _aboveFixedBase[start];
    }
}

/// <summary>An input section in the order the linker lays them out, the rule that places it, and whether its size in the
/// output is its size in the input (not a merged string section, a deduplicated group, a note the linker rewrites, a
/// section the linker makes itself).</summary>
internal readonly record struct LaidSection(int Rule, InputSection Section, bool SizeKnown);

/// <summary>
/// The addresses the link will give the statements of the linker script and the input sections, as far as the script and
/// the inputs decide them: ld's walk of SECTIONS — dot through each input section (aligned to its own alignment, then
/// advanced by its size), each output section's start (dot aligned to the largest alignment in it, or its own address),
/// assignments to dot and to names (ALIGN, ADDR, SIZEOF, names, arithmetic). Where the value depends on something not
/// known before the link, dot continues from a new <see cref="LayoutBase"/>, so what follows is still exact relative to
/// it: two names a link puts at one address without bytes between them (x86's __init_begin and _sinittext, around an
/// ALIGN of a page after a page-aligned dot) compare equal, and two with bytes between compare different.
/// </summary>
internal sealed partial class LinkLayout
{
    private readonly LinkerScriptLayout _script;
    private readonly Dictionary<string, LayoutAddress?> _names = new(StringComparer.Ordinal);
    private readonly LayoutAddress?[] _sectionStart, _sectionEnd, _assignment, _laid;
    private readonly Func<LinkLayout, string, LayoutAddress?> _inputSymbol;
    private LayoutAddress _dot = new(null, 0);
    private LayoutAddress? _currentStart;

    private LinkLayout(LinkerScriptLayout script, int laidCount, Func<LinkLayout, string, LayoutAddress?> inputSymbol)
    {
        _script = script;
        _sectionStart = new LayoutAddress?[script.Sections.Count];
        _sectionEnd = new LayoutAddress?[script.Sections.Count];
        _assignment = new LayoutAddress?[script.Assignments.Count];
        _laid = new LayoutAddress?[laidCount];
        _inputSymbol = inputSymbol;
    }

    /// <param name="laid">Every input section that reaches the image, in link order (input file, then section order).</param>
    /// <param name="kept">Whether the linker keeps an output section (a dropped one neither aligns nor moves dot).</param>
    /// <param name="orphansTakeRoom">The linker will place sections the script does not name, somewhere: nothing is known then.</param>
    /// <param name="inputSymbol">The address of a name some input defines (in the layout so far), for expressions naming it.</param>
    public static LinkLayout Compute(LinkerScriptLayout script, IReadOnlyList<LaidSection> laid, Func<int, bool> kept,
        bool orphansTakeRoom, Func<LinkLayout, string, LayoutAddress?> inputSymbol)
    {
        var layout = new LinkLayout(script, laid.Count, inputSymbol);
        if (!orphansTakeRoom) layout.Walk(laid, kept);
        return layout;
    }

    public LayoutAddress? SectionStart(int section) => section < _sectionStart.Length ? _sectionStart[section] : null;
    public LayoutAddress? SectionEnd(int section) => section < _sectionEnd.Length ? _sectionEnd[section] : null;
    public LayoutAddress? Assignment(int index) => _assignment[index];
    public LayoutAddress? Laid(int index) => _laid[index];

    private void Walk(IReadOnlyList<LaidSection> laid, Func<int, bool> kept)
    {
        var byRule = new List<int>[_script.Rules.Count];
        for (var i = 0; i < laid.Count; i++) (byRule[laid[i].Rule] ??= []).Add(i);
        var section = -1;
        foreach (var step in _script.Steps)
        {
            switch (step.Kind)
            {
                case ScriptStepKind.SectionStart:
                    section = step.Index;
                    _dot = Start(_script.Sections[section], byRule, laid, kept(section));
                    _currentStart = _sectionStart[section] = _dot;
                    break;
                case ScriptStepKind.SectionEnd:
                    _sectionEnd[step.Index] = _dot;
                    section = -1;
                    _currentStart = null;
                    break;
                case ScriptStepKind.Rule when !_script.Sections[section].Discards && byRule[step.Index] is { } placed:
                    if (kept(section)) LayOut(placed, laid, _script.Rules[step.Index].Sorted || _script.Sections[section].SubAligned);
                    else foreach (var i in placed) _laid[i] = _dot;  // empty inputs of a dropped section: nothing is laid out
                    break;
                case ScriptStepKind.Assignment:
                    Assign(step.Index);
                    break;
                case ScriptStepKind.Dot:
                    // ld never moves dot backwards inside a section; between sections an unknown value bounds nothing.
                    _dot = Value(step.Expression!) ?? Unknown(section >= 0 ? _dot : null);
                    break;
                case ScriptStepKind.Data:
                    _dot = _dot with { Offset = _dot.Offset + (ulong)step.Index };
                    break;
            }
        }
        // Assignments outside SECTIONS see the sections' values (GNU ld's last pass; ld.lld evaluates them after).
        var inSections = _script.Steps.Where(s => s.Kind == ScriptStepKind.Assignment).Select(s => s.Index).ToHashSet();
        for (var i = 0; i < _script.Assignments.Count; i++)
            if (!inSections.Contains(i)) Assign(i);
    }

    private void Assign(int index) => _names[_script.Assignments[index].Name] = _assignment[index] = Value(_script.Assignments[index].Expression);

    /// <summary>An output section's address: its own, or dot aligned to the largest alignment of the section and its inputs
    /// (a section the linker drops starts at dot).</summary>
    private LayoutAddress Start(ScriptOutputSection output, List<int>[] byRule, IReadOnlyList<LaidSection> laid, bool kept)
    {
        if (output.Address is { } address) return Value(address) ?? Unknown(null);
        if (output.Discards || !kept) return _dot;
        var alignment = _script.Rules.Select((rule, index) => (rule, index)).Where(r => r.rule.Section == output.Index && byRule[r.index] != null)
            .SelectMany(r => byRule[r.index]).Select(i => laid[i].Section.Alignment).DefaultIfEmpty(1UL).Max();
        if (output.Alignment != null)
        {
            if (LinkerScriptLayout.Constant(output.Alignment) is not { } own) return Unknown(_dot);
            alignment = Math.Max(alignment, own);
        }
        return Align(_dot, alignment);
    }

    /// <summary>One input description's sections, in link order; a sorted one only where the order cannot matter.</summary>
    private void LayOut(List<int> placed, IReadOnlyList<LaidSection> laid, bool orderUnknown)
    {
        var widest = placed.Select(i => Math.Max(1, laid[i].Section.Alignment)).Max();
        if (orderUnknown)
        {
            // Each section starts aligned to the widest whatever the order when every size is a multiple of it.
            if (placed.All(i => laid[i].SizeKnown && laid[i].Section.Size % widest == 0))
            {
                var start = Align(_dot, widest);
                _dot = start with { Offset = start.Offset + placed.Aggregate(0UL, (sum, i) => sum + laid[i].Section.Size) };
            }
            else _dot = Unknown(_dot);
            return;
        }
        foreach (var i in placed)
        {
            var start = Align(_dot, laid[i].Section.Alignment);
            _laid[i] = start;
            _dot = laid[i].SizeKnown ? start with { Offset = start.Offset + laid[i].Section.Size } : Unknown(start);
        }
    }

    /// <summary>Dot after something not known before the link: a new base, not below <paramref name="from"/> (when known).</summary>
    private static LayoutAddress Unknown(LayoutAddress? from, ulong alignment = 1) => new(new LayoutBase(alignment, from), 0);

    /// <summary>ALIGN(a): exact when the base is known to be a multiple of a, else a new base that is.</summary>
    private static LayoutAddress Align(LayoutAddress value, ulong alignment)
    {
        if (alignment <= 1) return value;
        if (value.Base == null || value.Base.Alignment % alignment == 0)
            return value with { Offset = (value.Offset + alignment - 1) / alignment * alignment };
        return Unknown(value, (alignment & (alignment - 1)) == 0 ? alignment : 1);
    }

    /// <summary>A value as the expression evaluator sees it: an address, or a plain number (no dot, no name in it).</summary>
    private readonly record struct Operand(LayoutAddress Address, bool Plain);

    /// <summary>An expression's value as an address; a plain number inside an output section is an offset from its start (ld).</summary>
    private LayoutAddress? Value(string expression)
    {
        var tokens = Token().Matches(expression).Select(m => m.Value).ToList();
        if (string.Concat(tokens) != Regex.Replace(expression, @"\s+", "")) return null;
        var parser = new ExpressionParser(this, tokens);
        if (parser.Parse() is not { } value) return null;
        return value.Plain && _currentStart is { } start && value.Address.Base == null
            ? start with { Offset = start.Offset + value.Address.Offset } : value.Address;
    }

    private sealed class ExpressionParser(LinkLayout layout, List<string> tokens)
    {
        // A script nests parentheses a few levels deep; anything deeper is not a value worth knowing.
        private const int MaxDepth = 64;
        private int _at, _depth;

        public Operand? Parse()
        {
            var value = BitOr();
            return _at == tokens.Count ? value : null;
        }

        private bool Take(string token)
        {
            if (_at >= tokens.Count || tokens[_at] != token) return false;
            _at++;
            return true;
        }

        private Operand? BitOr() => Binary(BitAnd, "|");
        private Operand? BitAnd() => Binary(Shift, "&");
        private Operand? Shift() => Binary(Sum, "<<", ">>");
        private Operand? Sum() => Binary(Product, "+", "-");
        private Operand? Product() => Binary(Unary, "*", "/", "%");

        private Operand? Binary(Func<Operand?> next, params string[] operators)
        {
            var left = next();
            while (_at < tokens.Count && operators.Contains(tokens[_at]))
            {
                var op = tokens[_at++];
                var right = next();
                left = left is { } l && right is { } r ? Apply(op, l, r) : null;
            }
            return left;
        }

        private static Operand? Apply(string op, Operand l, Operand r)
        {
            var (a, b) = (l.Address, r.Address);
            var plain = l.Plain && r.Plain;
            if (a.Base == null && b.Base == null)
            {
                var (x, y) = (a.Offset, b.Offset);
                ulong? n = op switch
                {
                    "+" => x + y, "-" => x - y, "*" => x * y, "/" => y == 0 ? null : x / y, "%" => y == 0 ? null : x % y,
                    "<<" => y < 64 ? x << (int)y : null, ">>" => y < 64 ? x >> (int)y : null, "&" => x & y, "|" => x | y,
                    _ => null,
                };
                return n is { } v ? new Operand(new LayoutAddress(null, v), plain) : null;
            }
            // Only an address plus or minus a number, or the distance between two of one base, stay known.
            return op switch
            {
                "+" when b.Base == null => new Operand(a with { Offset = a.Offset + b.Offset }, false),
                "+" when a.Base == null => new Operand(b with { Offset = b.Offset + a.Offset }, false),
                "-" when b.Base == null && a.Offset >= b.Offset => new Operand(a with { Offset = a.Offset - b.Offset }, false),
                "-" when a.Base == b.Base => new Operand(new LayoutAddress(null, a.Offset - b.Offset), true),
                _ => null,
            };
        }

        private Operand? Unary()
        {
            if (++_depth > MaxDepth) return null;
            try { return UnaryBody(); }
            finally { _depth--; }
        }

        private Operand? UnaryBody()
        {
            if (Take("-")) return Unary() is { Address.Base: null } n ? n with { Address = new LayoutAddress(null, 0 - n.Address.Offset) } : null;
            if (Take("~")) return Unary() is { Address.Base: null } n ? n with { Address = new LayoutAddress(null, ~n.Address.Offset) } : null;
            if (Take("+")) return Unary();
            return Primary();
        }

        private Operand? Primary()
        {
            if (_at >= tokens.Count) return null;
            var token = tokens[_at++];
            if (token == "(")
            {
                var inner = BitOr();
                return Take(")") ? inner : null;
            }
            if (Number(token) is { } number) return new Operand(new LayoutAddress(null, number), true);
            if (token == ".") return new Operand(layout._dot, false);
            if (Take("(")) return Function(token);
            var named = layout._names.TryGetValue(token, out var scriptValue) ? scriptValue : layout._inputSymbol(layout, token);
            return named is { } address ? new Operand(address, false) : null;
        }

        /// <summary>NAME(arguments), the opening parenthesis taken.</summary>
        private Operand? Function(string name)
        {
            var sectionName = _at < tokens.Count ? tokens[_at] : "";  // ADDR(.text), SIZEOF(.text)
            var arguments = new List<Operand?>();
            if (!Take(")"))
            {
                do arguments.Add(BitOr()); while (Take(","));
                if (!Take(")")) return null;
            }
            switch (name, arguments.Count)
            {
                case ("ALIGN", 1) when arguments[0] is { Plain: true } a:
                    return new Operand(Align(layout._dot, a.Address.Offset), false);
                case ("ALIGN", 2) when arguments[0] is { } v && arguments[1] is { Plain: true } a:
                    return new Operand(Align(v.Address, a.Address.Offset), v.Plain);
                case ("ABSOLUTE", 1) when arguments[0] is { } v:
                    return v with { Plain = false };
                case ("ADDR" or "SIZEOF", 1):
                    var index = layout._script.Sections.FirstOrDefault(s => s.Name == sectionName)?.Index ?? -1;
                    if (index < 0 || layout._sectionStart[index] is not { } start) return null;
                    if (name == "ADDR") return new Operand(start, false);
                    return layout._sectionEnd[index] is { } end && end.Base == start.Base
                        ? new Operand(new LayoutAddress(null, end.Offset - start.Offset), true) : null;
                case ("MAX" or "MIN", 2) when arguments[0] is { } x && arguments[1] is { } y && new LayoutOrder(y.Address).Compare(x.Address) is { } order:
                    return (order >= 0) == (name == "MAX") ? x : y;
                default:
                    return null;  // LOADADDR, DEFINED, CONSTANT, SEGMENT_START, …: not known before the link
            }
        }

        private static ulong? Number(string token)
        {
            var scale = char.ToUpperInvariant(token[^1]) switch { 'K' => 1024UL, 'M' => 1024UL * 1024, _ => 1UL };
            var digits = scale == 1 ? token : token[..^1];
            if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                return ulong.TryParse(digits[2..], System.Globalization.NumberStyles.HexNumber, null, out var h) ? h * scale : null;
            return digits.Length > 0 && char.IsAsciiDigit(digits[0]) && ulong.TryParse(digits, out var d) ? d * scale : null;
        }
    }

    [GeneratedRegex(@"0[xX][0-9a-fA-F]+[KkMm]?|[0-9]+[KkMm]?|[A-Za-z_.$][\w.$]*|<<|>>|[-+*/%&|~(),]")]
    private static partial Regex Token();
}
