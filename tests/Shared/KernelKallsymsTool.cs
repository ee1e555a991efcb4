using Kbuild.Kernel;
using Kbuild.Elf;

namespace Kbuild.Tests;

/// <summary>
/// The oracle: the kernel's own scripts/kallsyms compiled from the installed kernel source, and the
/// assembler/linker steps link-vmlinux.sh applies to its output.
/// </summary>
internal static class KernelKallsymsTool
{
    private static readonly Dictionary<string, string> Compiled = [];
    private static readonly Lock CompileLock = new();

    /// <summary>The kernel's scripts/ directory: the fixture source tree, else the quick extract in /tmp/ksrc.</summary>
    public static string ScriptsDir(string version)
    {
        var fixture = Path.Combine(KernelFixtures.Root, "src", $"linux-{version}", "scripts");
        if (File.Exists(Path.Combine(fixture, "kallsyms.c"))) return fixture;
        var extract = $"/tmp/ksrc/linux-source-{version}/scripts";
        if (File.Exists(Path.Combine(extract, "kallsyms.c"))) return extract;
        return Path.Combine(KernelFixtures.SourceDir(version), "scripts"); // inconclusive/fails with the fixture hint
    }

    public static string Executable(string version)
    {
        lock (CompileLock)
        {
            if (Compiled.TryGetValue(version, out var exe)) return exe;
            var scripts = ScriptsDir(version);
            var dir = TestTemp.Directory("kallsyms-oracle-");
            exe = Path.Combine(dir, $"kallsyms-{version}");
            Tool.RunChecked("gcc", ["-O2", "-I", Path.Combine(scripts, "include"), "-o", exe, Path.Combine(scripts, "kallsyms.c")]);
            Compiled[version] = exe;
            return exe;
        }
    }

    /// <summary>The .S text scripts/kallsyms writes for a map, or its failure.</summary>
    public static Tool.Result Run(string version, IEnumerable<string> flags, string mapPath) =>
        Tool.Run(Executable(version), [.. flags, mapPath]);

    /// <summary>The command line link-vmlinux.sh would pass for these options (6.12 has no --base-relative, 7.x only
    /// --all-symbols and --pc-relative).</summary>
    public static IEnumerable<string> Flags(string version, Kbuild.Table.KallsymsOptions o)
    {
        var layout = KernelSeries.For(version).Kallsyms;
        if (o.AllSymbols) yield return "--all-symbols";
        if (o.AbsolutePercpu) yield return "--absolute-percpu";
        if (o.BaseRelative && layout.Offsets == KallsymsOffsets.BaseRelativeSwitch) yield return "--base-relative";
        if (o.PcRelative && layout.Offsets == KallsymsOffsets.PcRelativeSwitch) yield return "--pc-relative";
        if (o.LtoClang) yield return "--lto-clang";
    }

    /// <summary>The object's .rodata and relocations, and .rodata linked at <see cref="LinkedAddress"/> with _text defined.</summary>
    public sealed record Assembled(byte[] Rodata, string Relocations, string Symbols, byte[] LinkedRodata, ulong LinkedAddress);

    /// <summary>
    /// gcc -c the source (with an asm/bitsperlong.h for the kernel's #include), then read .rodata and its
    /// relocations; also link it with _text at <paramref name="textAddress"/> to get the relocated bytes.
    /// </summary>
    public static Assembled Assemble(string source, ElfClass elfClass, ulong textAddress, string workDir, string name)
    {
        var o = AssembleObject(source, elfClass, workDir, name);
        var elf = Path.Combine(workDir, name + ".elf");
        var m32 = elfClass == ElfClass.Elf32;
        Tool.RunChecked("ld", [.. m32 ? new[] { "-m", "elf_i386" } : [], "--defsym", $"_text=0x{textAddress:x}",
            "-e", "0", "-o", elf, o]);
        var relocations = Tool.RunChecked("readelf", ["-rW", o]);
        // Drop the header line that names the file; keep offsets, types, symbols and addends.
        relocations = string.Join('\n', relocations.Split('\n').Where(l => !l.StartsWith("File:")));
        var symbols = string.Join('\n', Tool.RunChecked("readelf", ["-sW", o]).Split('\n').Where(l => !l.StartsWith("File:")));
        using var linked = ElfImage.Open(elf);
        return new Assembled(SectionBytes(o, workDir), relocations, symbols, SectionBytes(elf, workDir), linked.FindSection(".rodata")?.Address ?? 0);
    }

    /// <summary>gcc -c of a scripts/kallsyms .S, with the asm/bitsperlong.h its #include wants; returns the object.</summary>
    public static string AssembleObject(string source, ElfClass elfClass, string workDir, string name)
    {
        var include = Path.Combine(workDir, "include", "asm");
        Directory.CreateDirectory(include);
        File.WriteAllText(Path.Combine(include, "bitsperlong.h"),
            $"#define BITS_PER_LONG {(elfClass == ElfClass.Elf64 ? 64 : 32)}\n");
        var s = Path.Combine(workDir, name + ".S");
        var o = Path.Combine(workDir, name + ".o");
        File.WriteAllText(s, source);
        var m32 = elfClass == ElfClass.Elf32;
        Tool.RunChecked("gcc", [.. m32 ? new[] { "-m32" } : [], "-I", Path.Combine(workDir, "include"), "-c", s, "-o", o]);
        return o;
    }

    private static byte[] SectionBytes(string file, string workDir)
    {
        var bin = Path.Combine(workDir, Path.GetFileName(file) + ".rodata");
        Tool.RunChecked("objcopy", ["-O", "binary", "--only-section=.rodata", file, bin]);
        return File.ReadAllBytes(bin);
    }
}
