namespace Kbuild.Kernel;

public sealed partial record KernelSeries
{
    /// <summary>
    /// Linux 7.3, as in Debian linux-source-7.3 (7.3.4), is 6.12 but for this: the link writes vmlinux.unstripped and
    /// Makefile.vmlinux makes vmlinux from it with objcopy (and modules.builtin.modinfo, modules.builtin); the table's
    /// offsets are PC-relative (--pc-relative: one relocation per symbol, no kallsyms_relative_base), every label
    /// ".balign 4", names, markers, token table and offsets with a ".size"; no --absolute-percpu; BTF through
    /// scripts/gen-btf.sh; mksysmap drops what objcopy strips.
    /// </summary>
    public static KernelSeries Linux7_3 => LazyLinux7_3.Value;

    private static readonly Lazy<KernelSeries> LazyLinux7_3 = new(() => Linux6_12 with
    {
        Version = new(7, 3),
        Description = "7.3 (as in Debian linux-source-7.3 7.3.4)",
        Kallsyms = Linux6_12.Kallsyms with
        {
            Description = "7.3 (as in Debian linux-source-7.3 7.3.4)",
            EmissionOrder = [.. Linux6_12.Kallsyms.EmissionOrder.Where(kind => kind != KallsymsArrayKind.RelativeBase)],
            Offsets = KallsymsOffsets.PcRelativeSwitch,
            LabelAlignment = 4,
            SizedArrays = new HashSet<KallsymsArrayKind>
                { KallsymsArrayKind.Names, KallsymsArrayKind.Markers, KallsymsArrayKind.TokenTable, KallsymsArrayKind.OffsetsOrAddresses },
            HasAbsolutePercpuOption = false,
        },
        // 6.12's sed script, and __mod_device_table__* and __UNIQUE_ID_modinfo_* (what objcopy strips from vmlinux).
        SystemMapPatterns =
        [
            @" [aNUw] ", @" \$", @" \.L", @" __efistub_", @" __pi_\$", @" __pi_\.L", @" __kvm_nvhe_\$", @" __kvm_nvhe_\.L",
            @" __[[:alnum:]]*Thunk_", @" __kcfi_typeid_", @" __kvm_nvhe___kcfi_typeid_", @" __pi___kcfi_typeid_", @" __crc_",
            @" __kstrtab_", @" __kstrtabns_", @" __mod_device_table__", @"_from_arm$", @"_from_thumb$", @"_veneer$", @" L0$",
            @" _SDA_BASE_$", @" _SDA2_BASE_$", @" __UNIQUE_ID_modinfo_[0-9]*$", @"\.long_branch\.", @"\.plt_branch\.",
        ],
        Link = Linux6_12.Link with
        {
            LinkedImage = "vmlinux.unstripped",
            VmlinuxOOptions = ["LTO_CLANG", "X86_KERNEL_IBT", "KLP_BUILD"],
            ExportObjectNeedsModules = false,
            PassesOutputName = true,
            DerivedOutputs =
            [
                new("vmlinux", "cmd_strip_relocs"),
                new("modules.builtin.modinfo", "cmd_modules_builtin_modinfo"),
                new("modules.builtin", "cmd_modules_builtin"),
            ],
            BtfScript = "scripts/gen-btf.sh",
        },
        Refused = Refused7x,
        Scripts = Scripts7x(kallsyms: "0d41696314846c0c", linkVmlinux: "945fce410fd8d04e"),
    });

    /// <summary>What 7.x refuses beyond every series' list.</summary>
    private static RefusedOption[] Refused7x =>
    [
        .. RefusedEverywhere,
        new("CONFIG_LTO_CLANG", "links vmlinux.o made by Clang's LTO",
            "7.x needs LLVM 17.0.1 or later (scripts/min-tool-version.sh) and this SDK's machines have LLVM 16, so no 7.x LTO kernel is tested"),
        new("CONFIG_GENERIC_BUILTIN_DTB", "links .builtin-dtbs.o (the built-in device trees) after vmlinux.a",
            "no architecture this SDK links selects it, so no test links it"),
        new("CONFIG_ARCH_WANTS_PRE_LINK_VMLINUX", "links arch/$(SRCARCH)/tools/vmlinux.arch.o after the kallsyms and BTF objects",
            "no architecture this SDK links selects it, so no test links it"),
    ];

    /// <summary>The scripts whose steps the SDK models on 7.x; mksysmap and Makefile.vmlinux are those of 7.2 and 7.3.</summary>
    private static KnownScript[] Scripts7x(string kallsyms, string linkVmlinux) =>
    [
        new("scripts/kallsyms.c", "the kallsyms table (the port of scripts/kallsyms)", [kallsyms]),
        new("scripts/mksysmap", "System.map's filter", ["b5c464801cc282a0"]),
        new("scripts/link-vmlinux.sh", "the vmlinux link (its inputs, flags, kallsyms options and post-link steps)", [linkVmlinux]),
        new("scripts/Makefile.vmlinux", "cmd_link_vmlinux, the command make saves in .vmlinux.unstripped.cmd, and what it makes from vmlinux.unstripped", ["b2901e791c906be0"]),
    ];
}
