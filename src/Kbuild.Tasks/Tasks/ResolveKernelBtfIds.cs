using Kbuild.KernelTree;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>The kernel's resolve_btfids on the staged image, before it becomes vmlinux (<see cref="KernelBtf.ResolveIds"/>);
/// first the check that the BTF the link included describes that image (<see cref="KernelBtf.CheckAgainstImage"/>).</summary>
public sealed class ResolveKernelBtfIds : KbuildTask
{
    [Required] public string KernelBuildDir { get; set; } = "";
    [Required] public string ValuesCache { get; set; } = "";
    [Required] public string Image { get; set; } = "";

    /// <summary>The .BTF object linked into <see cref="Image"/>.</summary>
    [Required] public string BtfObject { get; set; } = "";

    /// <summary>The BTF was made from the link inputs (a relocatable link): the check also looks for every name it describes.</summary>
    public bool BtfFromLinkInputs { get; set; }

    /// <summary>7.x: the .BTF_ids scripts/gen-btf.sh resolved with the BTF object (resolve_btfids --patch_btfids).</summary>
    public string? BtfIdsFile { get; set; }

    protected override void Run()
    {
        KernelBtf.CheckAgainstImage(BtfObject, Image, namesToo: BtfFromLinkInputs);
        var kbuild = KernelTreeProbe.Load(KernelBuildDir, ValuesCache);
        KernelBtf.ResolveIds(kbuild, Image, BtfIdsFile is { Length: > 0 } ids ? ids : null, Tools);
        Log.LogMessage(MessageImportance.Normal, $"BTFIDS {Image}");
    }
}
