using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Kallsyms;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// scripts/kallsyms as a task: reads the symbols of a linked ELF (as mksysmap lists them) or a System.map
/// and writes the table as assembler source for the kernel version's layout. The .S appears only when the whole table was generated.
/// </summary>
public sealed class GenerateKallsyms : KbuildTask
{
    /// <summary>Kernel release, e.g. "6.1.192" or "6.12.48": selects the table layout and filters.</summary>
    [Required] public string KernelVersion { get; set; } = "";

    /// <summary>A linked ELF (vmlinux, .tmp_vmlinux1) or a symbol map in System.map format.</summary>
    [Required] public string Input { get; set; } = "";

    /// <summary>The .S to write.</summary>
    [Required] public string OutputAssembly { get; set; } = "";

    public bool AllSymbols { get; set; }
    public bool AbsolutePercpu { get; set; }
    public bool BaseRelative { get; set; }
    public bool LtoClang { get; set; }

    /// <summary>32 or 64 (the kernel's BITS_PER_LONG); for a map input only, an ELF input brings its own.</summary>
    public int Bits { get; set; } = 64;

    public bool BigEndian { get; set; }

    protected override void Run()
    {
        if (Bits is not (32 or 64))
            throw new KbuildException(ErrorCodes.KallsymsOptionUnsupported, null,
                $"Bits must be 32 or 64 (the kernel's BITS_PER_LONG), not {Bits}.");
        var layout = KallsymsLayout.For(Kallsyms.KernelVersion.Parse(KernelVersion));
        var options = new KallsymsOptions
        {
            AllSymbols = AllSymbols, AbsolutePercpu = AbsolutePercpu, BaseRelative = BaseRelative, LtoClang = LtoClang,
        };
        var (symbols, target) = ReadSymbols();
        var table = KallsymsGenerator.Generate(symbols, layout, options, target, Input);
        foreach (var warning in table.Warnings) LogWarning(ErrorCodes.KallsymsNameTooLong, Input, warning);
        WriteAtomically(OutputAssembly, writer => KallsymsAssembly.Write(table, writer));
        Log.LogMessage(MessageImportance.Low, $"kallsyms: {table.Symbols.Count} symbols from {Input} -> {OutputAssembly}");
    }

    /// <summary>
    /// A linked ELF gives its System.map view (nm -n filtered by the kernel's mksysmap) and its own class and
    /// byte order; any other file is read as a System.map for the Bits/BigEndian target.
    /// </summary>
    private (IReadOnlyList<NmSymbol> Symbols, KallsymsTarget Target) ReadSymbols()
    {
        if (IsElf(Input))
        {
            using var image = ElfImage.Open(Input);
            return (SysmapWriter.Symbols(image, SysmapFilter.ForKernel(KernelVersion)),
                new KallsymsTarget(image.Class, image.IsLittleEndian));
        }
        return (SystemMap.Read(Input), new KallsymsTarget(Bits == 64 ? ElfClass.Elf64 : ElfClass.Elf32, !BigEndian));
    }

    private static bool IsElf(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        try
        {
            using var file = File.OpenRead(path);
            return file.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && ElfImage.HasElfMagic(magic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // SystemMap.Read reports the unreadable file
        }
    }

    /// <summary>Writes next to the destination, then renames over it, so readers never see half a file.</summary>
    private static void WriteAtomically(string path, Action<TextWriter> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + $".{Environment.ProcessId}.tmp";
        try
        {
            using (var writer = new StreamWriter(temporary)) write(writer);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
