namespace Kbuild.Kernel;

/// <summary>The arrays scripts/kallsyms emits, named by the symbol that labels each.</summary>
public enum KallsymsArrayKind
{
    /// <summary>kallsyms_offsets (base-relative or PC-relative), else kallsyms_addresses.</summary>
    OffsetsOrAddresses,
    /// <summary>kallsyms_relative_base; only in a base-relative table.</summary>
    RelativeBase,
    NumSyms,
    Names,
    Markers,
    SeqsOfNames,
    TokenTable,
    TokenIndex,
}

/// <summary>How a table stores each symbol's address.</summary>
public enum KallsymsOffsets
{
    /// <summary>6.1: kallsyms_offsets from kallsyms_relative_base with --base-relative, else kallsyms_addresses.</summary>
    BaseRelativeSwitch,
    /// <summary>6.12: always kallsyms_offsets from kallsyms_relative_base ("PTR _text ± k").</summary>
    BaseRelative,
    /// <summary>7.0+: with --pc-relative each entry is ".long _text - . + (addr - _text)", a PC-relative relocation per
    /// symbol, and there is no kallsyms_relative_base; without it ".long addr" (32-bit kernels only).</summary>
    PcRelativeSwitch,
}

/// <summary>
/// Which names scripts/kallsyms itself drops (is_ignored_symbol). Input is System.map, so whatever the
/// kernel's mksysmap already removed is not repeated here.
/// </summary>
public sealed record KallsymsIgnoreRules(
    string[] Names,
    string[] Prefixes,
    string[] Suffixes,
    string[] Substrings,
    string Types)
{
    /// <summary>Absolute symbols that are kept although absolute symbols are otherwise dropped.</summary>
    public static readonly string[] KeptAbsoluteNames =
        ["__kernel_syscall_via_break", "__kernel_syscall_via_epc", "__kernel_sigtramp", "__gp"];

    public bool IsIgnored(string name, char type)
    {
        foreach (var n in Names) if (name == n) return true;
        foreach (var p in Prefixes) if (name.StartsWith(p, StringComparison.Ordinal)) return true;
        foreach (var s in Suffixes) if (name.EndsWith(s, StringComparison.Ordinal)) return true;
        foreach (var m in Substrings) if (name.Contains(m, StringComparison.Ordinal)) return true;
        if (Types.Contains(type)) return true;
        return char.ToUpperInvariant(type) == 'A' && !KeptAbsoluteNames.Contains(name);
    }
}

/// <summary>
/// The table format and filtering of one series' scripts/kallsyms, as data (<see cref="KernelSeries.Kallsyms"/>):
/// everything that differs between series is a field here, never a version test elsewhere.
/// </summary>
public sealed record KallsymsLayout
{
    /// <summary>What the layout was ported from, for messages.</summary>
    public required string Description { get; init; }

    /// <summary>The arrays in the order the kernel's tool writes them into .rodata.</summary>
    public required IReadOnlyList<KallsymsArrayKind> EmissionOrder { get; init; }

    public required KallsymsIgnoreRules IgnoreRules { get; init; }

    public required KallsymsOffsets Offsets { get; init; }

    /// <summary>Each label's alignment: null for the kernel's ALGN (the pointer size), else a fixed number of bytes
    /// (7.0+: ".balign 4").</summary>
    public int? LabelAlignment { get; init; }

    /// <summary>The arrays whose label gets a ".size" (7.3: names, markers, token table, offsets); none before.</summary>
    public IReadOnlySet<KallsymsArrayKind> SizedArrays { get; init; } = new HashSet<KallsymsArrayKind>();

    /// <summary>True when the tool has --absolute-percpu (gone in 6.15).</summary>
    public required bool HasAbsolutePercpuOption { get; init; }

    /// <summary>True when the tool has --lto-clang (strip ".llvm.*" before sorting names).</summary>
    public required bool HasLtoClangOption { get; init; }

    /// <summary>True when __start_* / __stop_* are kept without --all-symbols whatever their address.</summary>
    public required bool KeepsSectionBoundsOutsideText { get; init; }

    /// <summary>True when an empty table is an error ("No valid symbol.").</summary>
    public required bool EmptyTableIsError { get; init; }

    /// <summary>The text ranges a table without --all-symbols keeps (text_ranges[] of scripts/kallsyms, every series).</summary>
    public static readonly IReadOnlyList<(string Start, string End)> TextRanges = [("_stext", "_etext"), ("_sinittext", "_einittext")];

    /// <summary>True when the table always has kallsyms_relative_base (the tool has no --base-relative switch).</summary>
    public bool AlwaysBaseRelative => Offsets == KallsymsOffsets.BaseRelative;

    /// <summary>Whether the table has kallsyms_relative_base: always on 6.12, with --base-relative on 6.1, never on 7.x.</summary>
    public bool IsBaseRelative(bool baseRelativeSwitch) => Offsets switch
    {
        KallsymsOffsets.BaseRelative => true,
        KallsymsOffsets.BaseRelativeSwitch => baseRelativeSwitch,
        _ => false,
    };

    /// <summary>The arrays a table has, in emission order: kallsyms_relative_base only in a base-relative one.</summary>
    public IEnumerable<KallsymsArrayKind> EmittedArrays(bool baseRelative) =>
        EmissionOrder.Where(kind => baseRelative || kind != KallsymsArrayKind.RelativeBase);

    /// <summary>The label of an array (the symbol the kernel's kallsyms.c reads it by).</summary>
    public string ArraySymbolName(KallsymsArrayKind kind, bool baseRelative) => kind switch
    {
        KallsymsArrayKind.OffsetsOrAddresses =>
            baseRelative || Offsets == KallsymsOffsets.PcRelativeSwitch ? "kallsyms_offsets" : "kallsyms_addresses",
        KallsymsArrayKind.RelativeBase => "kallsyms_relative_base",
        KallsymsArrayKind.NumSyms => "kallsyms_num_syms",
        KallsymsArrayKind.Names => "kallsyms_names",
        KallsymsArrayKind.Markers => "kallsyms_markers",
        KallsymsArrayKind.SeqsOfNames => "kallsyms_seqs_of_names",
        KallsymsArrayKind.TokenTable => "kallsyms_token_table",
        KallsymsArrayKind.TokenIndex => "kallsyms_token_index",
        _ => throw new InvalidOperationException($"unknown kallsyms array {kind}"),
    };

    /// <summary>
    /// The label of every array a table has under the --base-relative switch, in emission order — known without
    /// generating the table (a reservation adds them to its own symbols, the prediction links them).
    /// </summary>
    public IReadOnlyList<string> ArraySymbolNames(bool baseRelativeSwitch)
    {
        var baseRelative = IsBaseRelative(baseRelativeSwitch);
        return EmittedArrays(baseRelative).Select(kind => ArraySymbolName(kind, baseRelative)).ToList();
    }

    public override string ToString() => Description;
}
