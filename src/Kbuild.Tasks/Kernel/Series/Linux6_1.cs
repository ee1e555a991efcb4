namespace Kbuild.Kernel;

public sealed partial record KernelSeries
{
    /// <summary>Linux 6.1 LTS, as in Debian linux-source-6.1 (6.1.192): kallsyms_seqs_of_names and ULEB128 lengths
    /// backported, the ignore lists still in kallsyms.c, mksysmap a grep -v, BTF from a link of its own.</summary>
    public static KernelSeries Linux6_1 => LazyLinux6_1.Value;

    private static readonly Lazy<KernelSeries> LazyLinux6_1 = new(() => new()
    {
        Version = new(6, 1),
        Description = "6.1 (Linux 6.1 LTS, as in Debian linux-source-6.1 6.1.192)",
        Kallsyms = new KallsymsLayout
        {
            Description = "6.1 (Linux 6.1 LTS, as in Debian linux-source-6.1 6.1.192)",
            EmissionOrder =
            [
                KallsymsArrayKind.OffsetsOrAddresses, KallsymsArrayKind.RelativeBase, KallsymsArrayKind.NumSyms,
                KallsymsArrayKind.Names, KallsymsArrayKind.Markers, KallsymsArrayKind.SeqsOfNames,
                KallsymsArrayKind.TokenTable, KallsymsArrayKind.TokenIndex,
            ],
            IgnoreRules = new(
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
                Types: "UuNn"),
            Offsets = KallsymsOffsets.BaseRelativeSwitch,
            HasAbsolutePercpuOption = true,
            HasLtoClangOption = true,
            KeepsSectionBoundsOutsideText = false,
            EmptyTableIsError = true,
        },
        // scripts/mksysmap is `$NM -n $1 | grep -v -e ... > $2`.
        SystemMapPatterns = [@" [aNUw] ", @" \$", @" \.L", @" __crc_", @" __kstrtab_", @" __kstrtabns_", @" L0$"],
        Link = new VmlinuxLinkSteps
        {
            LinkedImage = "vmlinux",
            FinalKallsymsObjectName = ".tmp_vmlinux.kallsyms2.o",
            VmlinuxOOptions = ["LTO_CLANG", "X86_KERNEL_IBT"],
            ExportObjectNeedsModules = true,
            PassesOutputName = false,
        },
        Architectures = ["X86_64", "ARM64"],
        Refused =
        [
            .. RefusedEverywhere,
            new("CONFIG_X86_KERNEL_IBT", "links vmlinux.o (sealed by objtool) instead of vmlinux.a and the libraries",
                "no 6.1 fixture tests that link (6.12 turns it on by default, and every 6.12 test links that way)"),
        ],
        Scripts = Scripts6x(kallsyms: "b5c5b8fb4f15202f", mksysmap: "bd4f40212b30b643", linkVmlinux: "c724ae6af05a9342", makefileVmlinux: "5875dfe19e06bd3c"),
    });

    /// <summary>The scripts whose steps the SDK models on 6.x, each with the one version of it that is known.</summary>
    private static KnownScript[] Scripts6x(string kallsyms, string mksysmap, string linkVmlinux, string makefileVmlinux) =>
    [
        new("scripts/kallsyms.c", "the kallsyms table (the port of scripts/kallsyms)", [kallsyms]),
        new("scripts/mksysmap", "System.map's filter", [mksysmap]),
        new("scripts/link-vmlinux.sh", "the vmlinux link (its inputs, flags, kallsyms options and post-link steps)", [linkVmlinux]),
        new("scripts/Makefile.vmlinux", "cmd_link_vmlinux, the command make saves in .vmlinux.cmd", [makefileVmlinux]),
    ];
}
