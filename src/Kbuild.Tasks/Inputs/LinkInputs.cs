using Kbuild.Elf;

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
        { IsExternalFile: true } m => ElfImage.Open(m.FilePath, DisplayName),
        var m => ElfImage.Open(m.FilePath, m.DataOffset, m.Size, DisplayName),
    };
}

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
