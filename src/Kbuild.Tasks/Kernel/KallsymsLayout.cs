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

    /// <summary>True when the table always has kallsyms_relative_base (the tool has no --base-relative switch).</summary>
    public bool AlwaysBaseRelative => Offsets == KallsymsOffsets.BaseRelative;

    public override string ToString() => Description;
}
