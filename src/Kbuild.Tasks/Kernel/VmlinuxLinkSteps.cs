namespace Kbuild.Kernel;

/// <summary>A file scripts/Makefile.vmlinux makes from the linked image after the link (7.x: vmlinux by objcopy,
/// modules.builtin.modinfo, modules.builtin), and the make variable holding its command.</summary>
public sealed record DerivedOutput(string Name, string CommandVariable);

/// <summary>How a series links vmlinux (scripts/link-vmlinux.sh and scripts/Makefile.vmlinux), as data
/// (<see cref="KernelSeries.Link"/>).</summary>
public sealed record VmlinuxLinkSteps
{
    /// <summary>What link-vmlinux.sh's final link writes: "vmlinux" (6.x) or "vmlinux.unstripped" (7.x, its $4).</summary>
    public required string LinkedImage { get; init; }

    /// <summary>The file name link-vmlinux.sh gives the kallsyms object of its final link after two kallsyms passes (a
    /// third pass, when the second changed the table, names it 3). GNU ld writes that name into .symtab as an STT_FILE
    /// symbol when the object has local symbols (arm64's $d mapping symbols).</summary>
    public required string FinalKallsymsObjectName { get; init; }

    /// <summary>The configuration options with which vmlinux.o (already LTO-linked or sealed by objtool) is linked
    /// instead of vmlinux.a and the libraries.</summary>
    public required IReadOnlyList<string> VmlinuxOOptions { get; init; }

    /// <summary>True when .vmlinux.export.o is linked only with CONFIG_MODULES (6.x); 7.x links it always.</summary>
    public required bool ExportObjectNeedsModules { get; init; }

    /// <summary>The option that adds .builtin-dtbs.o after vmlinux.a (7.x: GENERIC_BUILTIN_DTB), or null.</summary>
    public string? BuiltinDtbsOption { get; init; }

    /// <summary>True when cmd_link_vmlinux passes the output's name as the script's fourth argument (7.x: "$@").</summary>
    public required bool PassesOutputName { get; init; }

    /// <summary>What Makefile.vmlinux makes from <see cref="LinkedImage"/> after the link, in its order.</summary>
    public IReadOnlyList<DerivedOutput> DerivedOutputs { get; init; } = [];

    /// <summary>The script that makes the .BTF object from a linked image (7.x: scripts/gen-btf.sh, whose .BTF_ids the
    /// final image gets with resolve_btfids --patch_btfids), or null where link-vmlinux.sh runs pahole and objcopy
    /// itself and resolve_btfids on the final image (6.x).</summary>
    public string? BtfScript { get; init; }

    /// <summary>True when vmlinux is derived from a separately linked image.</summary>
    public bool IsUnstripped => LinkedImage != "vmlinux";
}
