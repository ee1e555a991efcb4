using Kbuild.KernelTree;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>CONFIG_DEBUG_INFO_BTF: the .BTF object of <see cref="Image"/> (linked with DWARF), made with the
/// kernel's pahole and flags (<see cref="KernelBtf.Generate"/>). <see cref="Image"/> gains a .BTF section.</summary>
public sealed class GenerateKernelBtf : KbuildTask
{
    [Required] public string KernelBuildDir { get; set; } = "";
    [Required] public string ValuesCache { get; set; } = "";
    [Required] public string Image { get; set; } = "";
    [Required] public string OutputFile { get; set; } = "";
    /// <summary>7.x: where the .BTF_ids that scripts/gen-btf.sh resolved are kept for resolve_btfids --patch_btfids.</summary>
    public string? BtfIdsFile { get; set; }

    protected override void Run()
    {
        var kbuild = KernelTreeProbe.Load(KernelBuildDir, ValuesCache);
        KernelBtf.Generate(kbuild, Path.GetFullPath(Image), Path.GetFullPath(OutputFile), BtfIdsFile is { Length: > 0 } ids ? Path.GetFullPath(ids) : null, Tools);
        Log.LogMessage(MessageImportance.High, $"BTF: {OutputFile} ({kbuild.Get("PAHOLE")} -J {kbuild.Get("PAHOLE_FLAGS")})");
    }
}
