using Kbuild.Kernel;
using Kbuild.Elf;
using Kbuild.Inputs;
using Kbuild.Diagnostics;
using Kbuild.IO;

namespace Kbuild.Symbols;

/// <summary>
/// The symbols a link will give its output, as nm lists them, predicted from the link inputs and the linker script
/// before linking: which library members the link pulls in (a --start-group member only for a still undefined,
/// non-weak reference, to a fixpoint), which input sections the script discards, which output section each input
/// section lands in (the first matching description) and so the type letter (nm decodes the *output* section's
/// flags, e.g. x86's .rodata is writable because .data..ro_after_init lands in it), which names the script defines
/// (PROVIDE only when referenced and not defined by an input), and ld's __start_/__stop_ names for referenced
/// sections. Addresses are placeholders that keep the script's order — each output section in a range of its own,
/// each symbol at its place inside — so that rules by address range (_stext.._etext) still apply.
/// </summary>
public static partial class LinkPrediction
{
    private const int SectionSpan = 1 << 20, PositionStep = 64;
    private const ulong PlaceholderBase = 0x1000_0000;
    private const byte StvInternal = 1, StvHidden = 2;

    private sealed record ObjectSymbols(LinkInputObject Object, ElfClass Class, ushort Machine, InputSection[] Sections, ElfSymbol[] Symbols)
    {
        public IEnumerable<ElfSymbol> Definitions => Symbols.Where(s => !s.IsUndefined && s.Binding != ElfSymbolBinding.Local);
        public IEnumerable<ElfSymbol> References => Symbols.Where(s => s.IsUndefined && s.Name.Length > 0);
    }

    /// <summary>
    /// The symbols of the final System.map, predicted for a link that adds the kallsyms table's own object (its labels
    /// in .rodata, referencing _text): the prediction through mksysmap's filter.
    /// </summary>
    /// <param name="tableLabels">The labels of the table's arrays (<see cref="KallsymsLayout.ArraySymbolNames"/>).</param>
    /// <param name="textRanges">The table keeps only the text ranges (<see cref="KallsymsLayout.TextRanges"/>: no
    /// --all-symbols), so the prediction places the names at their boundaries as the link does.</param>
    /// <param name="symbolCache">A file under obj/ that keeps every input's symbols for the next prediction (null: none).</param>
    /// <param name="linkerIsLld">The link is ld.lld's, which makes hidden symbols local (GNU ld only in a -shared link).</param>
    /// <param name="linkerFlags">The linker's flags, for the sections it makes itself (<see cref="LldSyntheticSections"/>,
    /// <see cref="GnuLdDynamicLink"/>) and GNU ld's -shared.</param>
    public static IReadOnlyList<NmSymbol> SystemMapSymbols(IReadOnlyList<string> objects, IReadOnlyList<string> libraries,
        string? linkerScript, IEnumerable<string> tableLabels, bool textRanges, SystemMapFilter filter, string? symbolCache = null,
        bool linkerIsLld = false, IReadOnlyList<string>? linkerFlags = null)
    {
        var cache = InputSymbolCache.Load(symbolCache is { Length: > 0 } ? new CacheFile(symbolCache) : null);
        var symbols = SystemMapSymbols(objects, libraries, linkerScript, tableLabels, textRanges, filter, cache, linkerIsLld, linkerFlags);
        cache.Save();
        return symbols;
    }

    internal static IReadOnlyList<NmSymbol> SystemMapSymbols(IReadOnlyList<string> objects, IReadOnlyList<string> libraries,
        string? linkerScript, IEnumerable<string> tableLabels, bool textRanges, SystemMapFilter filter, InputSymbolCache cache,
        bool linkerIsLld = false, IReadOnlyList<string>? linkerFlags = null)
    {
        var script = linkerScript is { Length: > 0 } ? LinkerScriptLayout.Read(linkerScript) : LinkerScriptLayout.Parse("");
        var labels = tableLabels.Select(name => (name, ".rodata"));
        var (predicted, elfClass) = Predict(objects, libraries, script, labels, ["_text"], cache, linkerIsLld, linkerFlags ?? [],
            textRanges);
        var digits = NmFormat.AddressDigits(elfClass);
        return predicted.Where(s => filter.Keeps(NmFormat.Line(s, digits))).ToList();
    }

    /// <summary>The predicted nm view of the linked image (before mksysmap's filter) and the inputs' ELF class.</summary>
    /// <param name="extra">Global symbols of an object not built yet (the kallsyms table's labels) and the input section each is in.</param>
    /// <param name="extraReferences">Names that object references.</param>
    /// <param name="linkerIsLld">ld.lld links: a symbol some input gives hidden or internal visibility (a definition or a
    /// reference) becomes a local symbol of the output (with GNU ld only in a -shared link).</param>
    /// <param name="linkerFlags">The linker's flags (-shared, --pack-dyn-relocs=relr, …), for the sections it makes itself.</param>
    public static (IReadOnlyList<NmSymbol> Symbols, ElfClass Class) Predict(IReadOnlyList<string> objects, IReadOnlyList<string> libraries,
        LinkerScriptLayout script, IEnumerable<(string Name, string Section)> extra, IEnumerable<string> extraReferences,
        bool linkerIsLld = false, IReadOnlyList<string>? linkerFlags = null)
        => Predict(objects, libraries, script, extra, extraReferences, InputSymbolCache.None, linkerIsLld, linkerFlags ?? [], textRanges: true);

    /// <param name="textRanges">Make the placeholders agree with the link's layout on the text ranges, which a table
    /// without --all-symbols keeps (<see cref="AgreeOnTextRanges"/>).</param>
    private static (IReadOnlyList<NmSymbol> Symbols, ElfClass Class) Predict(IReadOnlyList<string> objects, IReadOnlyList<string> libraries,
        LinkerScriptLayout script, IEnumerable<(string Name, string Section)> extra, IEnumerable<string> extraReferences,
        InputSymbolCache cache, bool linkerIsLld, IReadOnlyList<string> linkerFlags, bool textRanges)
    {
        var linked = Read(LinkInputs.Expand(objects), cache);
        var candidates = Read(LinkInputs.Expand(libraries), cache).ToList();
        PullMembers(linked, candidates);
        var elfClass = CommonClass(linked);

        var outputs = new OutputSections(script, linkerIsLld);
        var placement = linked.Select(o => o.Sections.Select(s => outputs.Place(o.Object.Name, s)).ToArray()).ToList();
        var machine = linked.Count == 0 ? (ushort)0 : linked[0].Machine;  // the first object's, as the linker takes it
        if (linkerIsLld)
            foreach (var synthetic in LldSyntheticSections.For(linkerFlags, machine))
                outputs.PlaceSynthetic(synthetic);
        else
            foreach (var made in GnuLdDynamicLink.SyntheticSections(linkerFlags, machine))
                outputs.PlaceLinkerMade(made);
        // The extra object is linked last (like the kernel's kallsyms object); its sections count before any letter is read.
        var extraPlaced = extra.Select(e => (e.Name, Place: outputs.Place("", new InputSection(e.Section, ElfSection.SHT_PROGBITS, ElfSection.SHF_ALLOC, 1))))
            .ToList();

        var resolution = new Resolution(outputs, linked, hiddenAreLocal: linkerIsLld || GnuLdDynamicLink.MakesHiddenSymbolsLocal(linkerFlags));
        resolution.DefineInputSymbols(linked, placement);
        resolution.DefineExtra(extraPlaced);
        var referenced = linked.SelectMany(o => o.References).Select(s => s.Name).Concat(extraReferences)
            .ToHashSet(StringComparer.Ordinal);
        resolution.ApplyAssignments(script, referenced);
        resolution.DefineSectionBounds(referenced);
        var symbols = resolution.Symbols;
        if (!textRanges) return (symbols, elfClass);

        var laidOut = LaidSections(script, linked, placement, extraPlaced.Select(e => e.Place), linkerIsLld, linkerFlags, machine);
        var layout = LinkLayout.Compute(script, laidOut.Sections, outputs.Kept, OrphansTakeRoom(script, linked, placement),
            (partial, name) => resolution.InputAddress(laidOut, partial, name));
        return (AgreeOnTextRanges(symbols, resolution.Addresses(laidOut, layout)), elfClass);
    }

    /// <summary>
    /// Which definition each name gets, as the linker resolves it: the inputs' symbols (locals as they are; one definition
    /// per global name, the first strong one, else the first weak one), the extra object's labels, the script's
    /// assignments and ld's __start_/__stop_ names — each with its placeholder address and type, and what it is for its
    /// address in the link's layout (an input's symbol or a script statement).
    /// </summary>
    private sealed class Resolution
    {
        private readonly OutputSections _outputs;
        private readonly bool _hiddenAreLocal;
        private readonly HashSet<string> _hidden;
        private readonly Dictionary<string, NmSymbol> _defined = new(StringComparer.Ordinal);
        private readonly HashSet<string> _strong = new(StringComparer.Ordinal);
        private readonly List<NmSymbol> _locals = [];
        private readonly List<(int Object, ElfSymbol Symbol)> _localInputs = [];
        private readonly Dictionary<string, (int Object, ElfSymbol Symbol)> _definedInputs = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Func<LinkLayout, LayoutAddress?>> _definedByScript = new(StringComparer.Ordinal);

        /// <param name="hiddenAreLocal">ld.lld merges the visibility of every symbol of a name, references included
        /// (Symbol::mergeProperties, resolve): the most constraining one wins, and a hidden or internal symbol is local in
        /// the output (computeBinding). GNU ld merges the same way (elf_merge_st_other) and makes such a symbol local in a
        /// -shared link only. arm64's startup code references __pi_memcpy or the script's PROVIDE(__pi__text = _text)
        /// hidden (pi/Makefile: hidden.h).</param>
        public Resolution(OutputSections outputs, IReadOnlyList<ObjectSymbols> linked, bool hiddenAreLocal)
        {
            _outputs = outputs;
            _hiddenAreLocal = hiddenAreLocal;
            _hidden = hiddenAreLocal
                ? linked.SelectMany(o => o.Symbols).Where(s => s.Binding != ElfSymbolBinding.Local && s.Visibility is StvInternal or StvHidden)
                    .Select(s => s.Name).ToHashSet(StringComparer.Ordinal)
                : [];
        }

        /// <summary>The locals, then one symbol per defined name.</summary>
        public List<NmSymbol> Symbols => [.. _locals, .. _defined.Values];

        public void DefineInputSymbols(IReadOnlyList<ObjectSymbols> linked, IReadOnlyList<(int Section, int Position)?[]> placement)
        {
            for (var i = 0; i < linked.Count; i++)
            {
                foreach (var s in linked[i].Symbols)
                {
                    if (!NmClassifier.IsListed(s) || s.IsUndefined || s.Name.Length == 0) continue;
                    (char Letter, ulong Address) w;
                    if (s.IsAbsolute || !s.IsCommon && s.SectionIndex >= linked[i].Sections.Length) w = ('a', 0);
                    else if ((s.IsCommon ? _outputs.Common() : placement[i][s.SectionIndex]) is { } place)
                        w = (_outputs.Letter(place.Section), _outputs.Address(place.Section, place.Position) + 1);
                    else continue; // discarded
                    // GNU ld keeps hidden globals global in a static or -pie link; ld.lld makes them local (lld's computeBinding).
                    var madeLocal = s.Binding != ElfSymbolBinding.Local && _hidden.Contains(s.Name);
                    var type = s.IsCommon ? (madeLocal ? 'b' : 'B')
                        : NmClassifier.TypeOf(madeLocal ? s with { Binding = ElfSymbolBinding.Local } : s, w.Letter);
                    var symbol = new NmSymbol(w.Address, type, s.Name);
                    if (s.Binding == ElfSymbolBinding.Local) { _locals.Add(symbol); _localInputs.Add((i, s)); continue; }
                    var isStrong = s.Binding != ElfSymbolBinding.Weak && !s.IsCommon;
                    if (!_defined.ContainsKey(s.Name) || (isStrong && _strong.Add(s.Name)))
                        (_defined[s.Name], _definedInputs[s.Name]) = (symbol, (i, s));
                    if (isStrong) _strong.Add(s.Name);
                }
            }
        }

        /// <summary>The extra object's labels, where no input defines the name.</summary>
        public void DefineExtra(IEnumerable<(string Name, (int Section, int Position)? Place)> extraPlaced)
        {
            foreach (var (name, place) in extraPlaced)
                if (place is { } p && !_defined.ContainsKey(name))
                    _defined[name] = new NmSymbol(_outputs.Address(p.Section, p.Position) + 1, Global(_outputs.Letter(p.Section), name), name);
        }

        /// <summary>The script's assignments (a PROVIDE only for a referenced name no input defines). One outside SECTIONS
        /// (x86: init_per_cpu__x = ABSOLUTE(x) + __per_cpu_load; arm64's PROVIDE(__pi__text = _text) after SECTIONS) sees the
        /// sections' own: ld.lld evaluates it after them, GNU ld's last pass has their values.</summary>
        public void ApplyAssignments(LinkerScriptLayout script, IReadOnlySet<string> referenced)
        {
            var order = Enumerable.Range(0, script.Assignments.Count)
                .OrderBy(index => script.Assignments[index] is { Section: < 0, PreviousSection: < 0 } ? 1 : 0);
            foreach (var index in order)
            {
                var a = script.Assignments[index];
                if (a.Provide && (!referenced.Contains(a.Name) || _defined.ContainsKey(a.Name) && !_outputs.IsScriptDefined(a.Name))) continue;
                var (letter, address) = _outputs.PlaceAssignment(a, name => _defined.TryGetValue(name, out var t) ? t : null);
                (_defined[a.Name], _definedByScript[a.Name]) = (new NmSymbol(address, Global(letter, a.Name, a.Hidden), a.Name), l => l.Assignment(index));
                _outputs.MarkScriptDefined(a.Name);
            }
        }

        /// <summary>ld's __start_SECTION and __stop_SECTION for a referenced name nothing else defines.</summary>
        public void DefineSectionBounds(IReadOnlySet<string> referenced)
        {
            foreach (var name in referenced.Where(n => !_defined.ContainsKey(n)))
            {
                var prefix = name.StartsWith("__start_", StringComparison.Ordinal) ? "__start_"
                    : name.StartsWith("__stop_", StringComparison.Ordinal) ? "__stop_" : null;
                if (prefix != null && _outputs.Bounds(name[prefix.Length..], prefix == "__start_") is { } bound)
                    (_defined[name], _definedByScript[name]) = (new NmSymbol(bound.Address, Global(bound.Letter, name), name),
                        l => prefix == "__start_" ? l.SectionStart(bound.Section) : l.SectionEnd(bound.Section));
            }
        }

        /// <summary>The address an input's definition of the name gets in a (partial) layout, null if no input defines it.</summary>
        public LayoutAddress? InputAddress(LaidOut laidOut, LinkLayout layout, string name) =>
            _definedInputs.TryGetValue(name, out var d) ? laidOut.AddressOf(layout, d.Object, d.Symbol) : null;

        /// <summary>Each symbol's address in the link's layout, in the order of <see cref="Symbols"/>.</summary>
        public List<LayoutAddress?> Addresses(LaidOut laidOut, LinkLayout layout) =>
            [.. _localInputs.Select(l => laidOut.AddressOf(layout, l.Object, l.Symbol)), .. _defined.Keys.Select(name =>
                _definedByScript.TryGetValue(name, out var statement) ? statement(layout) : InputAddress(laidOut, layout, name))];

        private char Global(char letter, string name, bool hiddenByScript = false) =>
            _hiddenAreLocal && (hiddenByScript || _hidden.Contains(name)) ? char.ToLowerInvariant(letter) : char.ToUpperInvariant(letter);
    }

    private static ElfClass CommonClass(IReadOnlyList<ObjectSymbols> inputs)
    {
        if (inputs.Count == 0) return ElfClass.Elf64;
        var majority = inputs.GroupBy(i => i.Class).OrderByDescending(g => g.Count()).First().Key;
        if (inputs.FirstOrDefault(i => i.Class != majority) is { } odd)
            throw new KbuildException(ErrorCodes.LinkInputsMixedClasses, odd.Object.DisplayName,
                $"this object is {(odd.Class == ElfClass.Elf32 ? "32" : "64")}-bit ELF but the other link inputs are " +
                $"{(majority == ElfClass.Elf32 ? "32" : "64")}-bit; rebuild it for the kernel's architecture (e.g. without -m32).");
        return majority;
    }

    private static List<ObjectSymbols> Read(IReadOnlyList<LinkInputObject> objects, InputSymbolCache cache) =>
        [.. cache.GetAll(objects).Select((facts, i) => new ObjectSymbols(objects[i], facts.Class, facts.Machine, facts.Sections, facts.Symbols))];

    /// <summary>
    /// ld's archive rule: a member joins the link when it defines a symbol that is still undefined and not weak. Members
    /// join in ld's order, which the layout follows: each archive of the group is scanned until it adds nothing
    /// (elf_link_add_archive_symbols), then the next, and the group again while that left new undefined symbols.
    /// </summary>
    private static void PullMembers(List<ObjectSymbols> linked, List<ObjectSymbols> candidates)
    {
        var defined = linked.SelectMany(o => o.Definitions).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var undefined = linked.SelectMany(o => o.References).Where(s => s.Binding != ElfSymbolBinding.Weak)
            .Select(s => s.Name).Where(n => !defined.Contains(n)).ToHashSet(StringComparer.Ordinal);
        var archives = candidates.GroupBy(c => c.Object.ArchivePath).Select(g => g.ToList()).ToList();
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var members in archives)
                for (var added = true; added;)
                {
                    added = false;
                    for (var i = 0; i < members.Count; i++)
                    {
                        var member = members[i];
                        if (!member.Definitions.Any(s => undefined.Contains(s.Name))) continue;
                        linked.Add(member);
                        members.RemoveAt(i--);
                        foreach (var s in member.Definitions) { defined.Add(s.Name); undefined.Remove(s.Name); }
                        foreach (var s in member.References.Where(s => s.Binding != ElfSymbolBinding.Weak && !defined.Contains(s.Name)))
                            undefined.Add(s.Name);
                        added = changed = true;
                    }
                }
        }
    }

    /// <summary>The output sections as the link will make them: flags merged from what lands in each, placeholder ranges.</summary>
    private sealed class OutputSections(LinkerScriptLayout script, bool lld)
    {
        private readonly HashSet<int> _assignsSymbols = script.Assignments.Where(a => a.Section >= 0).Select(a => a.Section).ToHashSet();
        private readonly ulong[] _flags = new ulong[script.Sections.Count];
        private readonly bool[] _hasContents = new bool[script.Sections.Count];
        private readonly bool[] _used = new bool[script.Sections.Count];
        private readonly bool[] _anyInput = new bool[script.Sections.Count];
        private readonly ulong[] _syntheticFlags = new ulong[script.Sections.Count];
        private readonly uint?[] _syntheticType = new uint?[script.Sections.Count];
        private readonly ulong[] _size = new ulong[script.Sections.Count];
        private readonly List<int>[] _filledRules = [.. script.Sections.Select(_ => new List<int>())];
        private readonly Dictionary<string, (int Index, ulong Flags, bool HasContents)> _orphans = new(StringComparer.Ordinal);
        private readonly List<(int Section, int Position)> _pending = [];
        private readonly HashSet<string> _scriptDefined = new(StringComparer.Ordinal);
        private readonly HashSet<string> _setFromDotBetweenSections = new(StringComparer.Ordinal);

        /// <summary>Records where an input section goes (output section, place in it); null when it does not reach the image.</summary>
        public (int Section, int Position)? Place(string file, InputSection section)
        {
            if ((section.Flags & ElfSection.SHF_ALLOC) == 0 || section.Type is ElfSection.SHT_RELA or ElfSection.SHT_REL
                || section.Type == 17 /* SHT_GROUP */ || section.Name.Length == 0)
                return null;
            return PlaceByName(file, section);
        }

        /// <summary>Records a section GNU ld makes itself (its .rela.dyn too): placed by name, with its bytes, like an input's.</summary>
        public void PlaceLinkerMade(InputSection section) => PlaceByName("", section);

        private (int Section, int Position)? PlaceByName(string file, InputSection section)
        {
            if (script.RuleFor(file, section.Name) is { } rule)
            {
                if (script.Sections[rule.Section].Discards) return null;
                _flags[rule.Section] |= section.Flags;
                _hasContents[rule.Section] |= section.Type != ElfSection.SHT_NOBITS;
                _anyInput[rule.Section] = true;
                _size[rule.Section] += section.Size;
                if (section.Size > 0 && !_filledRules[rule.Section].Contains(rule.Position)) _filledRules[rule.Section].Add(rule.Position);
                if (section.Size > 0) _used[rule.Section] = true;
                return (rule.Section, rule.Position);
            }
            var orphan = _orphans.TryGetValue(section.Name, out var o) ? o : (Index: script.Sections.Count + _orphans.Count, Flags: 0UL, HasContents: false);
            _orphans[section.Name] = (orphan.Index, orphan.Flags | section.Flags, orphan.HasContents | section.Type != ElfSection.SHT_NOBITS);
            return (orphan.Index, 0);
        }

        /// <summary>
        /// Records an ld.lld synthetic section of unknown size: its output section takes its flags and type, but is not
        /// kept by it (lld removes an empty one; one that stays empty and is otherwise discardable goes too).
        /// </summary>
        public void PlaceSynthetic(InputSection section)
        {
            if (script.RuleFor("", section.Name) is not { } rule || script.Sections[rule.Section].Discards) return;
            _syntheticFlags[rule.Section] |= section.Flags;
            _syntheticType[rule.Section] ??= section.Type;
        }

        public (int Section, int Position)? Common() => script.RuleFor("", "COMMON") is { } rule ? (rule.Section, rule.Position) : null;

        /// <summary>
        /// A placeholder address at <paramref name="position"/> of a section: one step per input description before it
        /// that received bytes, so names with nothing between them share an address (_text and _stext; a name at
        /// the end of .text and _etext), as in the linked image. Input symbols sit one byte into their step.
        /// </summary>
        public ulong Address(int section, int position)
        {
            if (section >= script.Sections.Count) return PlaceholderBase + (ulong)section * SectionSpan;
            // A gap (a large ALIGN, ". += N") moves dot only once something filled the section before it.
            var rules = _filledRules[section];
            var filled = rules.Count(p => p < position) + script.Sections[section].Gaps.Count(g => g < position && rules.Any(p => p < g));
            return PlaceholderBase + (ulong)section * SectionSpan + (ulong)filled * PositionStep;
        }

        /// <summary>The address just past a section's last bytes.</summary>
        private ulong End(int section) => Address(section, int.MaxValue);

        public bool IsScriptDefined(string name) => _scriptDefined.Contains(name);
        public void MarkScriptDefined(string name) => _scriptDefined.Add(name);

        /// <summary>ld drops an output section that got no input bytes unless the script moves dot or puts data in it.</summary>
        /// <remarks>ld.lld keeps any section that got an input section (empty ones too) or assigns a symbol.</remarks>
        public bool Kept(int section) => section >= script.Sections.Count ||
            !script.Sections[section].Discards && (_used[section] || script.Sections[section].KeptByScript
                || lld && (_anyInput[section] || _assignsSymbols.Contains(section)));

        /// <summary>BFD's view of a section's flags: no input at all means no flags (ELF then writes SHF_WRITE only).</summary>
        private (bool Alloc, bool Load, bool ReadOnly, bool Code) BfdFlags(int section)
        {
            var (flags, contents, any) = section < script.Sections.Count
                ? (_flags[section], _hasContents[section] && !script.Sections[section].NoLoad, _anyInput[section])
                : _orphans.Values.Where(o => o.Index == section).Select(o => (o.Flags, o.HasContents, true)).First();
            if (!any) return (false, false, false, false); // the name's ELF flags come later, when the header is written
            var alloc = (flags & ElfSection.SHF_ALLOC) != 0;
            return (alloc, alloc && contents, (flags & ElfSection.SHF_WRITE) == 0, (flags & ElfSection.SHF_EXECINSTR) != 0);
        }

        /// <summary>
        /// bfd's _bfd_nearby_section: where the symbols of a dropped output section go — the kept section before or
        /// after it, whichever would share its segment (alloc/load, then read-only, then code); on a tie the one after
        /// (the dropped section's address is the next one's start unless an alignment gap lies between).
        /// </summary>
        private int Nearby(int section)
        {
            var prev = section - 1;
            while (prev >= 0 && !Kept(prev)) prev--;
            var next = section + 1;
            while (next < script.Sections.Count && !Kept(next)) next++;
            if (next >= script.Sections.Count) return prev;
            if (prev < 0) return next;
            var (p, n, s) = (BfdFlags(prev), BfdFlags(next), BfdFlags(section));
            if (p.Alloc != n.Alloc || p.Load != n.Load)
                return n.Alloc != s.Alloc || p.Load && !n.Load ? prev : next;
            if (p.ReadOnly != n.ReadOnly) return n.ReadOnly != s.ReadOnly ? prev : next;
            if (p.Code != n.Code) return n.Code != s.Code ? prev : next;
            return next;
        }

        private readonly Dictionary<int, char> _letters = [];

        /// <summary>The nm letter of an output section; asked only once every input section is placed.</summary>
        public char Letter(int section)
        {
            if (!_letters.TryGetValue(section, out var letter)) _letters[section] = letter = ComputeLetter(section);
            return letter;
        }

        private char ComputeLetter(int section)
        {
            if (!Kept(section)) section = Nearby(section);
            if (section < 0) return 'a';
            if (section >= script.Sections.Count)
            {
                var o = _orphans.Values.First(v => v.Index == section);
                return NmClassifier.SectionLetter(new ElfSection(0, "", o.HasContents ? ElfSection.SHT_PROGBITS : ElfSection.SHT_NOBITS,
                    o.Flags, 0, 0, 1, 0, 0, 0));
            }
            var output = script.Sections[section];
            if (lld && !_anyInput[section])
            {
                // ld.lld 16 (LinkerScript::adjustOutputSections): an empty kept section takes the flags of the last section
                // up to it that has input sections (an empty synthetic one counts) and is not discarded, masked to
                // alloc/write/exec; its type is its synthetic section's, else SHT_PROGBITS.
                var inherited = Enumerable.Range(0, section + 1).Reverse()
                    .Where(i => !script.Sections[i].Discards && (_anyInput[i] || _syntheticFlags[i] != 0 && Kept(i)))
                    .Select(i => _flags[i] | _syntheticFlags[i]).DefaultIfEmpty(ElfSection.SHF_ALLOC).First();
                var lldFlags = inherited & (ElfSection.SHF_ALLOC | ElfSection.SHF_WRITE | ElfSection.SHF_EXECINSTR);
                var lldType = output.NoLoad ? ElfSection.SHT_NOBITS : _syntheticType[section] ?? ElfSection.SHT_PROGBITS;
                return NmClassifier.SectionLetter(new ElfSection(0, output.Name, lldType, lldFlags, 0, 0, 1, 0, 0, 0));
            }
            // Without inputs: the name's flags; dot moved by a known or unknown amount (". += N") makes room without bytes.
            var grows = output.ScriptBytes is not 0;
            var flags = _anyInput[section] ? _flags[section] | _syntheticFlags[section] : grows ? ElfSection.SHF_ALLOC | ElfSection.SHF_WRITE : SpecialFlags(output.Name);
            var contents = _anyInput[section] ? _hasContents[section] : !grows && !IsSpecialNoBits(output.Name);
            var type = contents && !output.NoLoad ? ElfSection.SHT_PROGBITS : ElfSection.SHT_NOBITS;
            return NmClassifier.SectionLetter(new ElfSection(0, output.Name, type, flags, 0, 0, 1, 0, 0, 0));
        }

        public (char Letter, ulong Address) PlaceAssignment(ScriptAssignment a, Func<string, NmSymbol?> symbol)
        {
            var expression = a.Expression.Trim().TrimEnd(';').Trim();
            // A copy of a name is in that name's section, wherever the script sets it (7.x x86: ftrace_ops_list_func =
            // arch_ftrace_ops_list_func inside .init.data is a text symbol). GNU ld: a name set from dot between sections
            // is absolute until the script is done (ldexp_finalize_syms moves it into its section then), so a copy of it
            // stays absolute (arm64: PROVIDE(__pi__end = _end)).
            if (symbol(expression) is { } target)
                return (!lld && _setFromDotBetweenSections.Contains(expression) ? 'a' : target.Type, target.Address);
            if (a.Section >= 0) return (Letter(a.Section), Address(a.Section, a.Position));
            if (lld) return PlaceLldAssignment(a, expression, symbol);
            if (expression.Contains("ABSOLUTE", StringComparison.Ordinal) || !expression.Contains('.'))
                return ('a', 0);
            _setFromDotBetweenSections.Add(a.Name);
            // Dot between sections: ld takes the section dot is in or at the end of, else the one after. Without
            // addresses: an ALIGN since the section before moved dot past its end unless that section ends aligned
            // (it moves dot itself, or its inputs fill whole pages); one before a section ld drops counts too.
            var previous = a.PreviousSection;
            var afterDotMove = a.AfterDotMove;
            for (; previous >= 0 && !Kept(previous); previous--) afterDotMove |= script.Sections[previous].AfterDotMove;
            var next = previous + 1;
            while (next < script.Sections.Count && !Kept(next)) next++;
            var endsAligned = previous >= 0 && (script.Sections[previous].EndsWithAlign ||
                script.Sections[previous].ScriptBytes is { } grown && (_size[previous] + grown) % 4096 == 0);
            if (previous >= 0 && (!afterDotMove || endsAligned || next >= script.Sections.Count))
                return (Letter(previous), End(previous));
            if (next >= script.Sections.Count) return ('a', 0);
            // A section at an address of its own does not start at dot: the name keeps dot's value, the end of the one
            // before (x86's __per_cpu_load, not in the per-CPU range that starts at 0: 6.1's --absolute-percpu keeps it 'D').
            return (Letter(next), script.Sections[next].HasAddress && previous >= 0 ? End(previous) : Address(next, 0));
        }

        /// <summary>
        /// ld.lld's value of an expression between sections: dot is relative to the last section before it; a sum takes
        /// the section of its first section-relative operand (ExprValue add, moveAbsRight); anything else is absolute.
        /// </summary>
        private (char Letter, ulong Address) PlaceLldAssignment(ScriptAssignment a, string expression, Func<string, NmSymbol?> symbol)
        {
            // ABSOLUTE(…) around the whole expression (arm64: __pecoff_data_size = ABSOLUTE(. - __initdata_begin)): forceAbsolute.
            if (expression.StartsWith("ABSOLUTE(", StringComparison.Ordinal) && LinkerScriptLayout.Matching(expression, 8, '(', ')') == expression.Length - 1)
                return ('a', 0);
            if (LldDot().IsMatch(expression))
            {
                var previous = a.PreviousSection;
                while (previous >= 0 && !Kept(previous)) previous--;
                if (previous >= 0) return (char.ToUpperInvariant(Letter(previous)), End(previous));
                // Before every section dot is relative to lld's "aether", whose section index is 1: the first output section.
                var first = Enumerable.Range(0, script.Sections.Count).FirstOrDefault(Kept, -1);
                return first >= 0 ? (char.ToUpperInvariant(Letter(first)), Address(first, 0)) : ('a', 0);
            }
            if (LldSum().Match(expression) is { Success: true } sum)
                foreach (var operand in sum.Groups["operand"].Captures.Select(c => c.Value.Trim()))
                    if (!operand.StartsWith("ABSOLUTE(", StringComparison.Ordinal) && symbol(operand) is { } t && char.ToLowerInvariant(t.Type) != 'a')
                        return (char.ToUpperInvariant(t.Type), t.Address);
            return ('a', 0);
        }

        /// <summary>The flags BFD gives a new ELF output section by its name (bfd/elf.c special_sections), before any input.</summary>
        private static ulong SpecialFlags(string name)
        {
            const ulong A = ElfSection.SHF_ALLOC, W = ElfSection.SHF_WRITE, X = ElfSection.SHF_EXECINSTR;
            static bool Is(string name, string prefix) => name == prefix || name.StartsWith(prefix + ".", StringComparison.Ordinal);
            if (Is(name, ".text")) return A | X;
            if (name is ".init" or ".fini") return A | X;
            if (Is(name, ".rodata") || name == ".rodata1") return A;
            if (Is(name, ".data") || name == ".data1" || Is(name, ".bss") || Is(name, ".tdata") || Is(name, ".tbss")
                || Is(name, ".ctors") || Is(name, ".dtors") || Is(name, ".init_array") || Is(name, ".fini_array") || Is(name, ".preinit_array"))
                return A | W;
            return W; // ELF writes SHF_WRITE for any section BFD does not mark read-only
        }

        private static bool IsSpecialNoBits(string name) =>
            name == ".bss" || name.StartsWith(".bss.", StringComparison.Ordinal) || name == ".tbss" || name.StartsWith(".tbss.", StringComparison.Ordinal);

        /// <summary>ld defines __start_SEC/__stop_SEC for an output section named SEC when they are referenced.</summary>
        public (char Letter, ulong Address, int Section)? Bounds(string section, bool start)
        {
            var index = script.Sections.FirstOrDefault(s => s.Name == section && !s.Discards)?.Index
                ?? (_orphans.TryGetValue(section, out var o) ? o.Index : -1);
            if (index < 0) return null;
            return (Letter(index), start ? Address(index, 0) : End(index), index);
        }
    }

    // "." or an expression of dot ("ALIGN(.)", ". + 4"): a lone dot, not one inside a name or a number.
    [System.Text.RegularExpressions.GeneratedRegex(@"(^|[^\w.])\.($|[^\w.])")]
    private static partial System.Text.RegularExpressions.Regex LldDot();

    // operand + operand + …, each a name or ABSOLUTE(name) (the kernel's init_per_cpu__x = ABSOLUTE(x) + __per_cpu_load).
    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<operand>\s*(?:ABSOLUTE\(\s*\w+\s*\)|\w+)\s*)(?:\+(?<operand>\s*(?:ABSOLUTE\(\s*\w+\s*\)|\w+)\s*))+$")]
    private static partial System.Text.RegularExpressions.Regex LldSum();
}
