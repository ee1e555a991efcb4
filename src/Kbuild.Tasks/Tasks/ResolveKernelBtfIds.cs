using Kbuild.KernelTree;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>The kernel's resolve_btfids on the staged image, before it becomes vmlinux (<see cref="KernelBtf.ResolveIds"/>).</summary>
public sealed class ResolveKernelBtfIds : KbuildTask
{
    [Required] public string KernelBuildDir { get; set; } = "";
    [Required] public string ValuesCache { get; set; } = "";
    [Required] public string Image { get; set; } = "";

    protected override void Run()
    {
        var kbuild = KbuildProbe.Load(KernelBuildDir, ValuesCache);
        KernelBtf.ResolveIds(kbuild, Image, Tools);
        Log.LogMessage(MessageImportance.Normal, $"BTFIDS {Image}");
    }
}
