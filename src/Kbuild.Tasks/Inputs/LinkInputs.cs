using Kbuild.Elf;
using Kbuild.Symbols;

namespace Kbuild.Inputs;

/// <summary>
/// One ELF object the linker reads: a plain object file, or a member of an archive (regular or thin).
/// <see cref="Name"/> is the object path or the member name as `nm` prints it; errors name <see cref="DisplayName"/>.
/// </summary>
public sealed record LinkInputObject(string? ArchivePath, string Name, ArMember? Member)
{
    /// <summary>"path/to/file.o" or "vmlinux.a(kernel/fork.o)" (how ld and nm name archive members).</summary>
    public string DisplayName => ArchivePath == null ? Name : $"{ArchivePath}({Name})";

    public ElfImage Open() => Member switch
    {
        null => ElfImage.Open(Name),
        { IsExternalFile: true } m => ElfImage.Open(m.FilePath, 0, new FileInfo(m.FilePath).Length, DisplayName),
        var m => ElfImage.Open(m.FilePath, m.DataOffset, m.Size, DisplayName),
    };
}

/// <summary>An object with its symbols as nm lists them.</summary>
public sealed record LinkInputSymbols(LinkInputObject Object, ElfClass Class, IReadOnlyList<NmSymbol> Symbols);

/// <summary>The ELF objects behind a list of link inputs (objects and archives), in link order.</summary>
public static class LinkInputs
{
    /// <summary>Every object in link order: archives expand to their members (a thin archive's members that are
    /// themselves archives are flattened, as ar does); anything else is taken as an object file.</summary>
    public static IReadOnlyList<LinkInputObject> Expand(IEnumerable<string> inputPaths)
    {
        var objects = new List<LinkInputObject>();
        foreach (var path in inputPaths)
        {
            if (ArArchive.IsArchive(path)) AddMembers(objects, path, ArArchive.Read(path), [Path.GetFullPath(path)]);
            else objects.Add(new LinkInputObject(null, path, null));
        }
        return objects;
    }

    /// <summary>
    /// The nm symbols of every object (in `nm -n` order when <paramref name="sorted"/>, else table order = `nm -p`),
    /// read in parallel; the result is in link order whatever the scheduling.
    /// </summary>
    public static IReadOnlyList<LinkInputSymbols> ReadSymbols(IEnumerable<string> inputPaths, bool sorted = false)
    {
        var objects = Expand(inputPaths);
        var results = new LinkInputSymbols[objects.Count];
        var errors = new Kbuild.Diagnostics.KbuildException?[objects.Count];
        Parallel.For(0, objects.Count, i =>
        {
            try
            {
                using var image = objects[i].Open();
                var symbols = NmReader.Read(image);
                if (sorted) symbols = NmOrder.Sort(symbols);
                results[i] = new LinkInputSymbols(objects[i], image.Class, symbols);
            }
            catch (Kbuild.Diagnostics.KbuildException e)
            {
                errors[i] = e;
            }
        });
        // Report the first bad object in link order, not whichever thread failed first.
        if (Array.Find(errors, e => e != null) is { } first) throw first;
        return results;
    }

    // ar nests thin archives by reference; one that (through others) lists itself would never end.
    private const int MaxArchiveNesting = 16;

    private static void AddMembers(List<LinkInputObject> objects, string archivePath, ArArchive archive, List<string> chain)
    {
        foreach (var member in archive.Members)
        {
            if (member.IsExternalFile && ArArchive.IsArchive(member.FilePath))
            {
                var nested = Path.GetFullPath(member.FilePath);
                if (chain.Contains(nested) || chain.Count >= MaxArchiveNesting)
                    throw new Kbuild.Diagnostics.KbuildException(Kbuild.Diagnostics.ErrorCodes.ArchiveCycle, archivePath,
                        $"thin archive '{chain[^1]}' lists '{member.FilePath}', which {(chain.Contains(nested) ? "lists it in turn" : $"nests archives more than {MaxArchiveNesting} deep")}: " +
                        "rebuild the archive from its objects (ar rcsT … *.o).");
                AddMembers(objects, archivePath, ArArchive.Read(member.FilePath), [.. chain, nested]);
            }
            else
                objects.Add(new LinkInputObject(archivePath, member.Name, member));
        }
    }
}
