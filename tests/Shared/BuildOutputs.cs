using Kbuild.Kernel;
using Kbuild.Elf;
using Kbuild.Outputs;
using Kbuild.Symbols;
using Kbuild.Table;

namespace Kbuild.Tests;

/// <summary>Whether a build's vmlinux and System.map agree with each other and with the kernel's rules.</summary>
public static class BuildOutputs
{
    /// <summary>Null when vmlinux's kallsyms table decodes to the table its own symbols call for and System.map is
    /// mksysmap's view of it; else what is wrong.</summary>
    public static string? Inconsistency(string vmlinux, string systemMap, string kernelVersion, KallsymsOptions options)
    {
        using var image = ElfImage.Open(vmlinux);
        var (_, difference) = KallsymsInspection.Verify(image, KernelVersion.Parse(kernelVersion), options);
        if (difference != null) return "the kallsyms table of vmlinux is not its symbols': " + difference.Describe();
        return File.ReadAllBytes(systemMap).AsSpan().SequenceEqual(SystemMapWriter.Render(image, SystemMapFilter.ForKernel(kernelVersion)))
            ? null : "System.map is not vmlinux's";
    }
}
