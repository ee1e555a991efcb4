using Kbuild.IO;
using Kbuild.Diagnostics;
using Kbuild.Table;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// scripts/kallsyms as a task: the table of <see cref="Input"/> (a linked ELF or a System.map) as the .S the kernel's
/// tool writes, which appears only once it is whole. (The build's reservation is <see cref="ReserveKallsyms"/>.)
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
        var mapTarget = MapTarget(Bits, BigEndian);
        var table = Rules.TableOf(Input, mapTarget);
        foreach (var warning in table.Warnings) LogWarning(ErrorCodes.KallsymsNameTooLong, Input, warning);
        AtomicOutput.WriteAllText(OutputAssembly, KallsymsAssembly.ToText(table));
        Log.LogMessage(MessageImportance.Low, $"kallsyms: {table.Symbols.Count} symbols from {Input} -> {OutputAssembly}");
    }
}
