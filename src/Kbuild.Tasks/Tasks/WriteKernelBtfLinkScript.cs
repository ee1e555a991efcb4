using Kbuild.IO;
using Kbuild.KernelTree;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>The linker script of the relocatable link pahole reads for BTF from the link inputs
/// (<see cref="KernelBtf.RelocatableLinkScript"/>): written to <see cref="OutputFile"/> when the kernel has per-CPU
/// sections to merge, and named in <see cref="LinkerScript"/>; else removed, and <see cref="LinkerScript"/> empty.</summary>
public sealed class WriteKernelBtfLinkScript : KbuildTask
{
    /// <summary>The final link's script (the kernel's vmlinux.lds).</summary>
    [Required] public string VmlinuxLinkerScript { get; set; } = "";
    [Required] public string OutputFile { get; set; } = "";
    [Output] public string LinkerScript { get; private set; } = "";

    protected override void Run()
    {
        if (KernelBtf.RelocatableLinkScript(VmlinuxLinkerScript) is not { } script)
        {
            AtomicOutput.DeleteIfExists(OutputFile);
            return;
        }
        if (!File.Exists(OutputFile) || File.ReadAllText(OutputFile) != script) AtomicOutput.WriteAllText(OutputFile, script);
        LinkerScript = OutputFile;
    }
}
