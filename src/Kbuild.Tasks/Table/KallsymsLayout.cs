using Kbuild.Diagnostics;
using Kbuild.Symbols;

namespace Kbuild.Table;

/// <summary>The arrays scripts/kallsyms emits, named by the symbol that labels each.</summary>
public enum KallsymsArrayKind
{
    /// <summary>kallsyms_offsets when base-relative, else kallsyms_addresses.</summary>
    OffsetsOrAddresses,
    /// <summary>kallsyms_relative_base; only when base-relative.</summary>
    RelativeBase,
    NumSyms,
    Names,
    Markers,
    SeqsOfNames,
    TokenTable,
    TokenIndex,
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
/// The table format and filtering of one kernel's scripts/kallsyms. One small subclass per supported
/// version; everything that differs between versions is a property here, never a version test elsewhere.
/// </summary>
public abstract class KallsymsLayout
{
    /// <summary>The kernels this tool knows, oldest first.</summary>
    public static IReadOnlyList<KallsymsLayout> Supported { get; } = [new Linux6_1Layout(), new Linux6_12Layout()];

    /// <summary>The layout for a kernel version, or <see cref="ErrorCodes.KallsymsVersionUnsupported"/>.</summary>
    public static KallsymsLayout For(KernelVersion version) =>
        TryFor(version)
        ?? throw new KbuildException(ErrorCodes.KallsymsVersionUnsupported, null,
            $"no kallsyms layout for Linux {version.Major}.{version.Minor}; supported kernel series: " +
            $"{string.Join(", ", Supported.Select(l => l.Description))}. Set KernelVersion to one of them " +
            "or add a KallsymsLayout for this series.");

    public static KallsymsLayout For(string version) => For(KernelVersion.Parse(version));

    /// <summary>The one lookup of a kernel series: its layout (and through it its System.map filter), or null.</summary>
    public static KallsymsLayout? TryFor(KernelVersion version) =>
        Supported.FirstOrDefault(l => l.Series.Major == version.Major && l.Series.Minor == version.Minor);

    /// <summary>The series' scripts/mksysmap: which nm lines System.map (and so every table) leaves out.</summary>
    public abstract SysmapFilter SystemMapFilter { get; }

    /// <summary>The major.minor series this layout covers (any patch level).</summary>
    public abstract KernelVersion Series { get; }

    /// <summary>What the layout was ported from, for messages.</summary>
    public abstract string Description { get; }

    /// <summary>The arrays in the order the kernel's tool writes them into .rodata.</summary>
    public abstract IReadOnlyList<KallsymsArrayKind> EmissionOrder { get; }

    public abstract KallsymsIgnoreRules IgnoreRules { get; }

    /// <summary>True when the tool has no --base-relative switch because the table is always base-relative.</summary>
    public abstract bool AlwaysBaseRelative { get; }

    /// <summary>True when the tool has --lto-clang (strip ".llvm.*" before sorting names).</summary>
    public abstract bool HasLtoClangOption { get; }

    /// <summary>True when __start_* / __stop_* are kept without --all-symbols whatever their address.</summary>
    public abstract bool KeepsSectionBoundsOutsideText { get; }

    /// <summary>True when an empty table is an error ("No valid symbol.").</summary>
    public abstract bool EmptyTableIsError { get; }

    /// <summary>The file name link-vmlinux.sh gives the kallsyms object of its final link after two kallsyms passes (a
    /// third pass, when the second changed sizes, names it 3). GNU ld writes that name into .symtab as an STT_FILE
    /// symbol when the object has local symbols (arm64's $d mapping symbols).</summary>
    public abstract string FinalKallsymsObjectName { get; }

    public override string ToString() => Description;
}

/// <summary>Debian linux-source-6.1 (6.1.192): seqs_of_names and ULEB128 lengths backported, ignore lists in kallsyms.c.</summary>
public sealed class Linux6_1Layout : KallsymsLayout
{
    public override KernelVersion Series => new(6, 1);
    public override SysmapFilter SystemMapFilter => SysmapFilter.Linux6_1;
    public override string Description => "6.1 (Linux 6.1 LTS, as in Debian linux-source-6.1 6.1.192)";

    public override IReadOnlyList<KallsymsArrayKind> EmissionOrder { get; } =
    [
        KallsymsArrayKind.OffsetsOrAddresses, KallsymsArrayKind.RelativeBase, KallsymsArrayKind.NumSyms,
        KallsymsArrayKind.Names, KallsymsArrayKind.Markers, KallsymsArrayKind.SeqsOfNames,
        KallsymsArrayKind.TokenTable, KallsymsArrayKind.TokenIndex,
    ];

    public override KallsymsIgnoreRules IgnoreRules { get; } = new(
        Names:
        [
            // Vary between passes: added only after pass 1.
            "kallsyms_addresses", "kallsyms_offsets", "kallsyms_relative_base", "kallsyms_num_syms",
            "kallsyms_names", "kallsyms_markers", "kallsyms_token_table", "kallsyms_token_index",
            "kallsyms_seqs_of_names",
            "_SDA_BASE_", "_SDA2_BASE_", // ppc linker-generated
        ],
        Prefixes:
        [
            "__efistub_", "__kvm_nvhe_$", "__kvm_nvhe_.L", "__AArch64ADRPThunk_", "__ARMV5PILongThunk_",
            "__ARMV7PILongThunk_", "__ThumbV7PILongThunk_", "__LA25Thunk_", "__microLA25Thunk_", "__kcfi_typeid_",
        ],
        Suffixes: ["_from_arm", "_from_thumb", "_veneer"],
        Substrings: [".long_branch.", ".plt_branch."],
        Types: "UuNn");

    public override bool AlwaysBaseRelative => false;
    public override bool HasLtoClangOption => true;
    public override bool KeepsSectionBoundsOutsideText => false;
    public override bool EmptyTableIsError => true;
    public override string FinalKallsymsObjectName => ".tmp_vmlinux.kallsyms2.o";
}

/// <summary>Debian linux-source-6.12: the 6.4+ array order, ignore lists moved to mksysmap, always base-relative.</summary>
public sealed class Linux6_12Layout : KallsymsLayout
{
    public override KernelVersion Series => new(6, 12);
    public override SysmapFilter SystemMapFilter => SysmapFilter.Linux6_12;
    public override string Description => "6.12 (Linux 6.12 LTS, as in Debian linux-source-6.12)";

    public override IReadOnlyList<KallsymsArrayKind> EmissionOrder { get; } =
    [
        KallsymsArrayKind.NumSyms, KallsymsArrayKind.Names, KallsymsArrayKind.Markers,
        KallsymsArrayKind.TokenTable, KallsymsArrayKind.TokenIndex, KallsymsArrayKind.OffsetsOrAddresses,
        KallsymsArrayKind.RelativeBase, KallsymsArrayKind.SeqsOfNames,
    ];

    public override KallsymsIgnoreRules IgnoreRules { get; } = new([], [], [], [], Types: "un");

    public override bool AlwaysBaseRelative => true;
    public override bool HasLtoClangOption => false;
    public override bool KeepsSectionBoundsOutsideText => true;
    public override bool EmptyTableIsError => false;
    public override string FinalKallsymsObjectName => ".tmp_vmlinux2.kallsyms.o";
}
