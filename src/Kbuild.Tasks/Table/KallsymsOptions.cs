using Kbuild.Elf;
using Kbuild.Kernel;

namespace Kbuild.Table;

/// <summary>
/// The switches of scripts/kallsyms, plus <see cref="PlaceholderAddresses"/> for building a reservation table.
/// </summary>
public sealed record KallsymsOptions
{
    /// <summary>--all-symbols (CONFIG_KALLSYMS_ALL): keep symbols outside the text ranges.</summary>
    public bool AllSymbols { get; init; }

    /// <summary>--absolute-percpu (CONFIG_KALLSYMS_ABSOLUTE_PERCPU): per-cpu symbols keep absolute values.</summary>
    public bool AbsolutePercpu { get; init; }

    /// <summary>--base-relative (CONFIG_KALLSYMS_BASE_RELATIVE); implied on kernels that are always base-relative.</summary>
    public bool BaseRelative { get; init; }

    /// <summary>--pc-relative (7.x, CONFIG_64BIT or CONFIG_RELOCATABLE): offsets relative to their own address.</summary>
    public bool PcRelative { get; init; }

    /// <summary>--lto-clang (CONFIG_LTO_CLANG): ignore ".llvm.NNN" suffixes when sorting names (6.1 only).</summary>
    public bool LtoClang { get; init; }

    /// <summary>
    /// The addresses are placeholders (a reservation table built before the link) that keep the link's order
    /// (see LinkPrediction), so the text-range filter still applies; only the relative-overflow check is off
    /// (offsets are stored truncated to 32 bits).
    /// </summary>
    public bool PlaceholderAddresses { get; init; }

    /// <summary>The options for the switches a kernel's link-vmlinux.sh passes scripts/kallsyms (a layout that is
    /// always base-relative implies --base-relative).</summary>
    public static KallsymsOptions FromSwitches(IReadOnlyCollection<string> switches, KallsymsLayout layout) => new()
    {
        AllSymbols = switches.Contains("--all-symbols"),
        AbsolutePercpu = switches.Contains("--absolute-percpu"),
        BaseRelative = switches.Contains("--base-relative") || layout.AlwaysBaseRelative,
        PcRelative = switches.Contains("--pc-relative"),
        LtoClang = switches.Contains("--lto-clang"),
    };
}

/// <summary>What the table is assembled for: ELF class (pointer size, alignment) and byte order.</summary>
public readonly record struct KallsymsTarget(ElfClass Class, bool IsLittleEndian)
{
    public static KallsymsTarget X86_64 => new(ElfClass.Elf64, true);

    public int PointerSize => Class == ElfClass.Elf64 ? 8 : 4;

    /// <summary>The kernel's ALGN: 8 on 64-bit, 4 on 32-bit.</summary>
    public int Alignment => PointerSize;
}
