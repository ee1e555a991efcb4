using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Table;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// The parameters every kallsyms task shares: the kernel version (which picks the table layout and the
/// System.map filter) and the scripts/kallsyms switches the kernel's config turns on.
/// </summary>
public abstract class KallsymsTask : KbuildTask
{
    /// <summary>Kernel release or series, e.g. "6.1.192" or "6.12".</summary>
    [Required] public string KernelVersion { get; set; } = "";

    /// <summary>--all-symbols (CONFIG_KALLSYMS_ALL).</summary>
    public bool AllSymbols { get; set; }

    /// <summary>--absolute-percpu (CONFIG_KALLSYMS_ABSOLUTE_PERCPU).</summary>
    public bool AbsolutePercpu { get; set; }

    /// <summary>--base-relative (CONFIG_KALLSYMS_BASE_RELATIVE, the default on 64-bit; 6.12 always is).</summary>
    public bool BaseRelative { get; set; } = true;

    /// <summary>--pc-relative (7.x: CONFIG_64BIT or CONFIG_RELOCATABLE).</summary>
    public bool PcRelative { get; set; } = true;

    /// <summary>--lto-clang (CONFIG_LTO_CLANG, 6.1 only).</summary>
    public bool LtoClang { get; set; }

    protected KallsymsRules Rules => KallsymsRules.For(KernelVersion, Options);

    /// <summary>What a System.map input is read for (a map brings no class or byte order of its own): 32 or 64 bits
    /// (the kernel's BITS_PER_LONG), else KB0204.</summary>
    protected static KallsymsTarget MapTarget(int bits, bool bigEndian) => bits is 32 or 64
        ? new KallsymsTarget(bits == 64 ? ElfClass.Elf64 : ElfClass.Elf32, !bigEndian)
        : throw new KbuildException(ErrorCodes.KallsymsOptionUnsupported, null, $"Bits must be 32 or 64 (the kernel's BITS_PER_LONG), not {bits}.");

    protected KallsymsOptions Options => new()
    {
        AllSymbols = AllSymbols, AbsolutePercpu = AbsolutePercpu, BaseRelative = BaseRelative, PcRelative = PcRelative, LtoClang = LtoClang,
    };
}
