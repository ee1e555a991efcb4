using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Kallsyms;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// scripts/kallsyms as a task: reads a System.map (mksysmap output) and writes the table as assembler
/// source for the kernel version's layout. The .S appears only when the whole table was generated.
/// </summary>
public sealed class GenerateKallsyms : KbuildTask
{
    /// <summary>Kernel release, e.g. "6.1.192" or "6.12.48": selects the table layout and filters.</summary>
    [Required] public string KernelVersion { get; set; } = "";

    /// <summary>The symbol map (System.map format).</summary>
    [Required] public string Input { get; set; } = "";

    /// <summary>The .S to write.</summary>
    [Required] public string OutputAssembly { get; set; } = "";

    public bool AllSymbols { get; set; }
    public bool AbsolutePercpu { get; set; }
    public bool BaseRelative { get; set; }
    public bool LtoClang { get; set; }

    /// <summary>32 or 64 (the kernel's BITS_PER_LONG).</summary>
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
        var target = new KallsymsTarget(Bits == 64 ? ElfClass.Elf64 : ElfClass.Elf32, !BigEndian);
        var table = KallsymsGenerator.Generate(SystemMap.Read(Input), layout, options, target, Input);
        foreach (var warning in table.Warnings) LogWarning(ErrorCodes.KallsymsNameTooLong, Input, warning);
        WriteAtomically(OutputAssembly, writer => KallsymsAssembly.Write(table, writer));
        Log.LogMessage(MessageImportance.Low, $"kallsyms: {table.Symbols.Count} symbols from {Input} -> {OutputAssembly}");
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
