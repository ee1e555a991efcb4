using Kbuild.Elf;

namespace Kbuild.Symbols;

/// <summary>
/// What GNU ld does differently in a dynamic link (-shared or -pie; arm64 kernels link -shared) that shows in the
/// output's symbols. A -shared link records every global as a dynamic symbol, and bfd_elf_link_record_dynamic_symbol
/// forces one with hidden or internal visibility local — a -pie or static link keeps it global (hidden). And the
/// aarch64 backend makes its GOT (.got with the _DYNAMIC slot, .got.plt with the three reserved slots) and .rela.dyn
/// as input sections of its own, which the linker script places by name and which keep their output sections.
/// </summary>
internal static class GnuLdDynamicLink
{
    private const ushort EM_AARCH64 = 183;
    private const ulong GotSlot = 8;

    /// <summary>bfd_link_dll: -shared (-Bshareable) without a later -pie (of the two, the last one given wins).</summary>
    public static bool MakesHiddenSymbolsLocal(IReadOnlyList<string> flags) => OutputOf(flags) == Output.SharedObject;

    /// <summary>The input sections GNU ld makes itself in this link (checked for aarch64 only; none elsewhere).</summary>
    public static IReadOnlyList<InputSection> SyntheticSections(IReadOnlyList<string> flags, ushort machine)
    {
        if (machine != EM_AARCH64 || OutputOf(flags) == Output.Static) return [];
        const ulong A = ElfSection.SHF_ALLOC, W = ElfSection.SHF_WRITE;
        return
        [
            new InputSection(".got", ElfSection.SHT_PROGBITS, A | W, GotSlot),
            new InputSection(".got.plt", ElfSection.SHT_PROGBITS, A | W, 3 * GotSlot),
            // Empty, GNU ld drops it; a kernel always has pointers in its data, so its dynamic link has relocations.
            new InputSection(".rela.dyn", ElfSection.SHT_RELA, A, 24),
        ];
    }

    private enum Output { Static, SharedObject, PositionIndependentExecutable }

    private static Output OutputOf(IReadOnlyList<string> flags)
    {
        var output = Output.Static;
        foreach (var flag in flags)
            output = flag switch
            {
                "-shared" or "--shared" or "-Bshareable" => Output.SharedObject,
                "-pie" or "--pie" or "-pic-executable" or "--pic-executable" => Output.PositionIndependentExecutable,
                "-no-pie" or "--no-pie" => Output.Static,
                _ => output,
            };
        return output;
    }
}
