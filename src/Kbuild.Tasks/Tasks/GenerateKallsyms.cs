using Kbuild.IO;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Kallsyms;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// scripts/kallsyms as a task: reads the symbols of a linked ELF (as mksysmap lists them) or a System.map
/// and writes the table as assembler source for the kernel version's layout. The .S appears only when the whole table was generated.
/// </summary>
public sealed class GenerateKallsyms : KallsymsTask
{
    /// <summary>A linked ELF (vmlinux, .tmp_vmlinux1) or a symbol map in System.map format.</summary>
    [Required] public string Input { get; set; } = "";

    /// <summary>The .S to write.</summary>
    [Required] public string OutputAssembly { get; set; } = "";

    /// <summary>32 or 64 (the kernel's BITS_PER_LONG); for a map input only, an ELF input brings its own.</summary>
    public int Bits { get; set; } = 64;

    public bool BigEndian { get; set; }

    protected override void Run()
    {
        if (Bits is not (32 or 64))
            throw new KbuildException(ErrorCodes.KallsymsOptionUnsupported, null,
                $"Bits must be 32 or 64 (the kernel's BITS_PER_LONG), not {Bits}.");
        var (symbols, target) = ReadSymbols();
        var table = KallsymsGenerator.Generate(symbols, Layout, Options, target, Input);
        foreach (var warning in table.Warnings) LogWarning(ErrorCodes.KallsymsNameTooLong, Input, warning);
        AtomicOutput.WriteAllText(OutputAssembly, KallsymsAssembly.ToText(table));
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
            return (SysmapWriter.Symbols(image, Filter),
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
}
