using Kbuild.KernelTree;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>The kernel's resolve_btfids on the staged image, before it becomes vmlinux (<see cref="KernelBtf.ResolveIds"/>);
/// first, for BTF made from the link inputs, the check that the image has every name it describes.</summary>
public sealed class ResolveKernelBtfIds : KbuildTask
{
    [Required] public string KernelBuildDir { get; set; } = "";
    [Required] public string ValuesCache { get; set; } = "";
    [Required] public string Image { get; set; } = "";

    /// <summary>The .BTF object linked into <see cref="Image"/> when it was made from the link inputs (<see cref="KernelBtf.CheckAgainstImage"/>).</summary>
    public string? CheckBtfObject { get; set; }

    /// <summary>7.x: the .BTF_ids scripts/gen-btf.sh resolved with the BTF object (resolve_btfids --patch_btfids).</summary>
    public string? BtfIdsFile { get; set; }

    protected override void Run()
    {
        if (CheckBtfObject is { Length: > 0 }) KernelBtf.CheckAgainstImage(CheckBtfObject, Image);
        var kbuild = KbuildProbe.Load(KernelBuildDir, ValuesCache);
        KernelBtf.ResolveIds(kbuild, Image, BtfIdsFile is { Length: > 0 } ids ? ids : null, Tools);
        Log.LogMessage(MessageImportance.Normal, $"BTFIDS {Image}");
    }
}
