using Kbuild.Elf;
using Kbuild.Inputs;
using Kbuild.Kernel;

namespace Kbuild.Symbols;

/// <summary>The prediction's addresses against the link's layout (<see cref="LinkLayout"/>): where they must agree.</summary>
public static partial class LinkPrediction
{
    private const ulong SHF_MERGE = 0x10, SHF_GROUP = 0x200;
    private const uint SHT_NOTE = 7;

    /// <summary>Where scripts/kallsyms without --all-symbols puts an address against a text range: in it, at its end
    /// (dropped, unless it is the end's own name), or outside.</summary>
    private enum TextRangePlace { Outside, Inside, AtEnd }

    /// <summary>
    /// scripts/kallsyms without --all-symbols keeps a symbol by its address against _stext.._etext and
    /// _sinittext.._einittext. The placeholder addresses keep the script's order, but not whether a name shares a
    /// boundary's address — __init_begin, set in an empty section between two page ALIGNs, is at _sinittext's in the
    /// link; bytes that end exactly at an ALIGN put a name at _etext's — nor where a section at an address of its own
    /// lies. Where the layout knows a symbol's place against a range and the placeholder says otherwise, the placeholder
    /// moves: to the range's start (inside), its end, or just before its start (outside).
    /// </summary>
    private static List<NmSymbol> AgreeOnTextRanges(List<NmSymbol> symbols, IReadOnlyList<LayoutAddress?> at)
    {
        int? IndexOf(string name) => symbols.FindIndex(s => s.Name == name) is >= 0 and var i && at[i] != null ? i : null;
        foreach (var (startName, endName) in KallsymsLayout.TextRanges)
        {
            if (IndexOf(startName) is not { } start || IndexOf(endName) is not { } end) continue;
            var (fromStartOf, fromEndOf) = (new LayoutOrder(at[start]!.Value), new LayoutOrder(at[end]!.Value));
            var (startPlaceholder, endPlaceholder) = (symbols[start].Address, symbols[end].Address);
            for (var i = 0; i < symbols.Count; i++)
            {
                if (at[i] is not { } address) continue;
                var (fromStart, fromEnd) = (fromStartOf.Compare(address), fromEndOf.Compare(address));
                TextRangePlace? linked = fromStart < 0 || fromEnd > 0 ? TextRangePlace.Outside
                    : fromEnd == 0 ? TextRangePlace.AtEnd : fromStart >= 0 && fromEnd < 0 ? TextRangePlace.Inside : null;
                var placeholder = symbols[i].Address;
                var predicted = placeholder < startPlaceholder || placeholder > endPlaceholder ? TextRangePlace.Outside
                    : placeholder == endPlaceholder ? TextRangePlace.AtEnd : TextRangePlace.Inside;
                if (linked is { } place && place != predicted)
                    symbols[i] = symbols[i] with
                    {
                        Address = place switch
                        {
                            TextRangePlace.Inside => startPlaceholder,
                            TextRangePlace.AtEnd => endPlaceholder,
                            _ => startPlaceholder - 1,
                        },
                    };
            }
        }
        return symbols;
    }

    /// <summary>The input sections as the linker lays them out, and each input section's index among them (-1: none).</summary>
    private sealed record LaidOut(List<LaidSection> Sections, int[][] Index)
    {
        /// <summary>An input symbol's address in the layout: its section's place plus its value, while the section's size is its own.</summary>
        public LayoutAddress? AddressOf(LinkLayout layout, int inputObject, ElfSymbol symbol)
        {
            if (symbol.IsAbsolute) return new LayoutAddress(null, symbol.Value);
            if (symbol.IsCommon || symbol.SectionIndex >= Index[inputObject].Length || Index[inputObject][symbol.SectionIndex] is not (>= 0 and var k))
                return null;
            return Sections[k].SizeKnown && layout.Laid(k) is { } section ? section with { Offset = section.Offset + symbol.Value } : null;
        }
    }

    /// <summary>An orphan that takes room goes where the linker decides (an empty one, like gcc's .bss of a .S file, does not).</summary>
    private static bool OrphansTakeRoom(LinkerScriptLayout script, List<ObjectSymbols> linked, List<(int Section, int Position)?[]> placement) =>
        linked.Select((o, i) => o.Sections.Where((s, j) => placement[i][j] is { } place && place.Section >= script.Sections.Count
            && (s.Size > 0 || s.Alignment > 1))).Any(orphans => orphans.Any());

    /// <summary>
    /// The input sections as the linker lays them out (<see cref="LinkLayout"/>), each with its rule. Sections the linker
    /// makes or resizes itself have unknown sizes: a build ID note (wherever the script would put one), the dynamic link's
    /// sections, common symbols, the extra object's.
    /// </summary>
    private static LaidOut LaidSections(LinkerScriptLayout script, List<ObjectSymbols> linked,
        List<(int Section, int Position)?[]> placement, IEnumerable<(int Section, int Position)?> extraPlaced, bool linkerIsLld,
        IReadOnlyList<string> linkerFlags, ushort machine)
    {
        var ruleAt = Enumerable.Range(0, script.Rules.Count).ToDictionary(r => (script.Rules[r].Section, script.Rules[r].Position));
        var laid = new List<LaidSection>();
        void Unknown(string section)
        {
            if (script.RuleFor("", section) is { } rule) laid.Add(new LaidSection(ruleAt[(rule.Section, rule.Position)], new InputSection(section, 0, 0, 0), false));
        }
        Unknown(".note.gnu.build-id");
        var made = linkerIsLld ? LldSyntheticSections.For(linkerFlags, machine) : GnuLdDynamicLink.SyntheticSections(linkerFlags, machine);
        foreach (var section in made) Unknown(section.Name);

        var index = new int[linked.Count][];
        for (var i = 0; i < linked.Count; i++)
        {
            index[i] = new int[linked[i].Sections.Length];
            for (var j = 0; j < index[i].Length; j++)
            {
                index[i][j] = -1;
                if (placement[i][j] is not { } place || !ruleAt.TryGetValue(place, out var rule)) continue;
                var section = linked[i].Sections[j];
                // ld merges strings and constants (SHF_MERGE), keeps one copy of a group (SHF_GROUP), rewrites notes and .eh_frame.
                var sizeKnown = (section.Flags & (SHF_MERGE | SHF_GROUP)) == 0 && section.Type != SHT_NOTE && section.Name != ".eh_frame";
                index[i][j] = laid.Count;
                laid.Add(new LaidSection(rule, section, sizeKnown));
            }
        }
        if (linked.Any(o => o.Symbols.Any(s => s.IsCommon))) Unknown("COMMON");
        foreach (var place in extraPlaced)
            if (place is { } p && ruleAt.TryGetValue(p, out var rule))
                laid.Add(new LaidSection(rule, new InputSection("", 0, 0, 0), false));
        return new LaidOut(laid, index);
    }
}
