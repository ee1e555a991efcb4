using Kbuild.Elf;
using Kbuild.Kernel;
using Kbuild.Symbols;
using Kbuild.IO;

namespace Kbuild.Table;

/// <summary>
/// The kernel's rules for one table: its series' layout (scripts/kallsyms) and System.map filter (scripts/mksysmap),
/// and the switches its config turns on. Every table starts from System.map's symbols under these rules.
/// </summary>
public sealed record KallsymsRules(KernelSeries Series, KallsymsOptions Options)
{
    /// <summary>The rules of a kernel release or series ("6.1.192", "6.12").</summary>
    public static KallsymsRules For(string kernelVersion, KallsymsOptions options) => new(KernelSeries.For(kernelVersion), options);

    public static KallsymsRules For(KernelVersion version, KallsymsOptions options) => new(KernelSeries.For(version), options);

    public KallsymsLayout Layout => Series.Kallsyms;

    public SystemMapFilter Filter => SystemMapFilter.For(Series);

    /// <summary>The labels of the table's arrays, in emission order (<see cref="KallsymsLayout.ArraySymbolNames"/>).</summary>
    public IReadOnlyList<string> ArraySymbolNames => Layout.ArraySymbolNames(Options.BaseRelative);

    /// <summary>The table keeps only the text ranges (<see cref="KallsymsLayout.TextRanges"/>): no --all-symbols.</summary>
    public bool TextRangesOnly => !Options.AllSymbols;

    /// <summary>The table of a linked image: its System.map symbols (nm -n through mksysmap's filter), its class and byte order.</summary>
    /// <param name="compressNames">How the names are compressed (<see cref="KallsymsGenerator.Generate"/>).</param>
    public KallsymsTable TableOf(ElfImage image, Func<byte[][], CompressedNames>? compressNames = null) =>
        KallsymsGenerator.Generate(Filter.Symbols(image), Layout, Options,
            new KallsymsTarget(image.Class, image.IsLittleEndian), image.Path, compressNames);

    /// <summary>
    /// The table of a linked ELF (<see cref="TableOf(ElfImage)"/>), or of any other file read as a System.map for
    /// <paramref name="mapTarget"/> (a map brings no class or byte order of its own).
    /// </summary>
    public KallsymsTable TableOf(string input, KallsymsTarget mapTarget)
    {
        if (!IsElf(input))
            return KallsymsGenerator.Generate(SystemMap.Read(input), Layout, Options, mapTarget, input);
        using var image = ElfImage.Open(input);
        return TableOf(image);
    }

    // An unreadable file is read as a map: SystemMap.Read reports it.
    private static bool IsElf(string path) => ElfImage.HasElfMagic(RegularFile.Start(path, 4));
}
