using Kbuild.Elf;

namespace Kbuild.Symbols;

/// <summary>
/// The input sections ld.lld makes itself (lld/ELF/Writer.cpp createSyntheticSections) that a linker script places by
/// name like any input section. One that stays empty is removed before the layout, but the output section it landed
/// in keeps its flags and type (LinkerScript::adjustOutputSections: hasInputSections; arm64's .rela.dyn, which holds
/// __pi_rela_start, is SHT_RELA read-only data, not the data section before it). Which exist depends on the flags:
/// the dynamic relocations with -shared or -pie (hasDynSymTab), .relr.dyn with --pack-dyn-relocs=relr or
/// -z pack-relative-relocs; the GOT and PLT sections always.
/// </summary>
internal static class LldSyntheticSections
{
    private const uint SHT_RELR = 19;
    private const ushort EM_PPC = 20, EM_PPC64 = 21, EM_X86_64 = 62, EM_AARCH64 = 183, EM_AMDGPU = 224, EM_RISCV = 243, EM_HEXAGON = 164;

    public static IReadOnlyList<InputSection> For(IReadOnlyList<string> flags, ushort machine)
    {
        const ulong A = ElfSection.SHF_ALLOC, W = ElfSection.SHF_WRITE, X = ElfSection.SHF_EXECINSTR;
        // lld's isRela: the psABI's choice per machine.
        var rela = machine is EM_AARCH64 or EM_AMDGPU or EM_HEXAGON or EM_PPC or EM_PPC64 or EM_RISCV or EM_X86_64;
        var (relocations, relocationType) = rela ? (".rela", ElfSection.SHT_RELA) : (".rel", ElfSection.SHT_REL);
        // lld's Driver: isPic = pie || shared (-pie/--no-pie, the last wins); hasDynSymTab = isPic || --export-dynamic.
        var (shared, pie, exportDynamic, relr) = (false, false, false, false);
        for (var i = 0; i < flags.Count; i++)
        {
            var (name, value) = flags[i].IndexOf('=') is var eq and > 0 ? (flags[i][..eq], flags[i][(eq + 1)..])
                : (flags[i], i + 1 < flags.Count ? flags[i + 1] : "");
            switch (name)
            {
                case "-shared" or "--shared" or "-Bshareable": shared = true; break;
                case "-pie" or "--pie" or "--pic-executable": pie = true; break;
                case "-no-pie" or "--no-pie" or "--no-pic-executable": pie = false; break;
                case "-E" or "--export-dynamic" or "-export-dynamic": exportDynamic = true; break;
                case "--pack-dyn-relocs" or "-pack-dyn-relocs": relr = value is "relr" or "android+relr"; break;
                case "-z" or "-zpack-relative-relocs" or "-znopack-relative-relocs":
                    var z = name == "-z" ? value : name[2..];
                    if (z is "pack-relative-relocs" or "nopack-relative-relocs") relr = z == "pack-relative-relocs";
                    break;
            }
        }

        var sections = new List<InputSection>();
        if (shared || pie || exportDynamic) sections.Add(new InputSection(relocations + ".dyn", relocationType, A, 0));
        if (relr) sections.Add(new InputSection(".relr.dyn", SHT_RELR, A, 0));
        sections.Add(new InputSection(".got", ElfSection.SHT_PROGBITS, A | W, 0));
        sections.Add(new InputSection(".got.plt", ElfSection.SHT_PROGBITS, A | W, 0));
        sections.Add(new InputSection(relocations + ".plt", relocationType, A, 0));
        sections.Add(new InputSection(".plt", ElfSection.SHT_PROGBITS, A | X, 0));
        sections.Add(new InputSection(".iplt", ElfSection.SHT_PROGBITS, A | X, 0));
        return sections;
    }
}
