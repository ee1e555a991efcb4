using Kbuild.Outputs;
using Kbuild.Symbols;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>Writes System.map for a linked vmlinux, byte-identical to the kernel's scripts/mksysmap.</summary>
public sealed class WriteSystemMap : KbuildTask
{
    /// <summary>The linked ELF (vmlinux).</summary>
    [Required] public string Vmlinux { get; set; } = "";

    /// <summary>Where System.map goes; replaced atomically.</summary>
    [Required] public string OutputFile { get; set; } = "";

    /// <summary>Kernel version ("6.1.192", "6.12"): picks the mksysmap filter of that kernel series.</summary>
    [Required] public string KernelVersion { get; set; } = "";

    protected override void Run() => SystemMapWriter.Write(Vmlinux, OutputFile, SystemMapFilter.ForKernel(KernelVersion));
}
