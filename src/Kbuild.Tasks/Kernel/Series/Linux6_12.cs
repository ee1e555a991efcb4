namespace Kbuild.Kernel;

public sealed partial record KernelSeries
{
    /// <summary>Linux 6.12 LTS, as in Debian linux-source-6.12 (6.12.118): the 6.4+ array order, the ignore lists moved to
    /// mksysmap (a sed script), always base-relative, step 0's empty table, BTF from .tmp_vmlinux1.</summary>
    public static KernelSeries Linux6_12 => LazyLinux6_12.Value;

    private static readonly Lazy<KernelSeries> LazyLinux6_12 = new(() => new()
    {
        Version = new(6, 12),
        Description = "6.12 (Linux 6.12 LTS, as in Debian linux-source-6.12 6.12.118)",
        Kallsyms = new KallsymsLayout
        {
            Description = "6.12 (Linux 6.12 LTS, as in Debian linux-source-6.12 6.12.118)",
            EmissionOrder =
            [
                KallsymsArrayKind.NumSyms, KallsymsArrayKind.Names, KallsymsArrayKind.Markers,
                KallsymsArrayKind.TokenTable, KallsymsArrayKind.TokenIndex, KallsymsArrayKind.OffsetsOrAddresses,
                KallsymsArrayKind.RelativeBase, KallsymsArrayKind.SeqsOfNames,
            ],
            IgnoreRules = new([], [], [], [], Types: "un"),
            Offsets = KallsymsOffsets.BaseRelative,
            HasAbsolutePercpuOption = true,
            HasLtoClangOption = false,
            KeepsSectionBoundsOutsideText = true,
            EmptyTableIsError = false,
        },
        // scripts/mksysmap is a sed script run as `nm -n vmlinux | sed -f scripts/mksysmap`.
        SystemMapPatterns =
        [
            @" [aNUw] ", @" \$", @" \.L", @" __efistub_", @" __pi_\$", @" __pi_\.L", @" __kvm_nvhe_\$", @" __kvm_nvhe_\.L",
            @" __[[:alnum:]]*Thunk_", @" __kcfi_typeid_", @" __kvm_nvhe___kcfi_typeid_", @" __pi___kcfi_typeid_", @" __crc_",
            @" __kstrtab_", @" __kstrtabns_", @"_from_arm$", @"_from_thumb$", @"_veneer$", @" L0$", @" _SDA_BASE_$",
            @" _SDA2_BASE_$", @"\.long_branch\.", @"\.plt_branch\.",
        ],
        Link = new VmlinuxLinkSteps
        {
            LinkedImage = "vmlinux",
            FinalKallsymsObjectName = ".tmp_vmlinux2.kallsyms.o",
            VmlinuxOOptions = ["LTO_CLANG", "X86_KERNEL_IBT"],
            ExportObjectNeedsModules = true,
            PassesOutputName = false,
        },
        Architectures = ["X86_64", "ARM64"],
        Refused = RefusedEverywhere,
        Scripts = Scripts6x(kallsyms: "e0b867fc95f4d470", mksysmap: "bed3d6102dcae9fc", linkVmlinux: "6a69764be32c682d", makefileVmlinux: "bb2061aab8d23188"),
    });
}
