using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.Elf;

namespace Kbuild.Image;

/// <summary>The linker whose build-ID rule applies to an image.</summary>
public enum BuildIdLinker { GnuLd, Lld }

/// <summary>The hashes a linker computes a build ID with (uuid, fast and explicit hex values are not recomputable).</summary>
public enum BuildIdHash { Sha1, Md5 }

/// <summary>An NT_GNU_BUILD_ID note: where the whole note and its descriptor lie in the file.</summary>
public readonly record struct BuildIdNote(long NoteOffset, int NoteSize, long DescriptorOffset, int DescriptorSize);

/// <summary>
/// Recomputes the build ID of a linked image exactly as its linker computed it, so an image changed after the link
/// (the kallsyms patch) carries the ID the linker would have given these bytes.
/// GNU ld (bfd elf_checksum_contents, run after the output is written): the ELF header with e_phoff and e_shoff
/// zeroed, the program headers, then per section its header with sh_offset zeroed followed by its contents, except
/// NOBITS sections and the ones bfd keeps no section for (.symtab, its string table, .symtab_shndx, .shstrtab); the
/// build-ID note itself is not written yet at that point, so all of it reads as zeros.
/// ld.lld (Writer::writeBuildId): the whole file with the descriptor zeroed, cut into 1 MiB chunks, each hashed,
/// then the concatenated chunk hashes hashed again; sha1 and md5 are BLAKE3 truncated to 20 and 16 bytes.
/// </summary>
public static class BuildId
{
    private const uint SHT_NOTE = 7, NT_GNU_BUILD_ID = 3;
    private const int LldChunk = 1 << 20;
    private const int HashChunk = 1 << 20;  // GNU ld's hash is one stream: read it in pieces of this size

    public static BuildIdNote? Find(ElfImage image)
    {
        foreach (var section in image.Sections.Where(s => s.Type == SHT_NOTE && s.HasFileContents))
        {
            var bytes = image.ReadSection(section);
            for (var at = 0; at + 12 <= bytes.Length;)
            {
                var nameSize = image.ByteOrder.U32(bytes.AsSpan(at));
                var descSize = image.ByteOrder.U32(bytes.AsSpan(at + 4));
                var type = image.ByteOrder.U32(bytes.AsSpan(at + 8));
                var descAt = at + 12 + Align4(nameSize);
                var end = descAt + Align4(descSize);
                if (nameSize > int.MaxValue / 2 || descSize > int.MaxValue / 2 || end > bytes.Length) break;
                if (type == NT_GNU_BUILD_ID && nameSize == 4 && bytes.AsSpan(at + 12, 4).SequenceEqual("GNU\0"u8))
                    return new BuildIdNote((long)section.Offset + at, (int)(end - at), (long)section.Offset + descAt, (int)descSize);
                at = (int)end;
            }
        }
        return null;
    }

    /// <summary>ld.lld names itself in .comment ("Linker: LLD 16.0.6", "Linker: Debian LLD 16.0.6"); GNU ld writes nothing there.</summary>
    public static BuildIdLinker LinkerOf(ElfImage image) =>
        image.FindSection(".comment") is { } comment && comment.HasFileContents &&
        Encoding.Latin1.GetString(image.ReadSection(comment)).Split('\0')
            .Any(s => s.StartsWith("Linker: ", StringComparison.Ordinal) && s.Contains("LLD", StringComparison.Ordinal))
            ? BuildIdLinker.Lld
            : BuildIdLinker.GnuLd;

    /// <summary>The build ID the linker would write for the file's current bytes (its descriptor read as zeros).</summary>
    public static byte[] Compute(ElfImage image, BuildIdNote note, BuildIdLinker linker, BuildIdHash hash)
    {
        using var file = File.OpenHandle(image.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return linker == BuildIdLinker.Lld
            ? ComputeLld(file, note, hash)
            : ComputeGnu(image, file, note, hash);
    }

    /// <summary>
    /// The hash a link's <c>--build-id[=style]</c> flags ask for (the last one wins; bare <c>--build-id</c> is sha1
    /// for GNU ld, lld's xxhash "fast"), or null when the ID is no recomputable hash (none, uuid, 0x…, fast) or absent.
    /// </summary>
    public static BuildIdHash? HashFromFlags(IEnumerable<string> flags, BuildIdLinker linker)
    {
        string? style = null;
        foreach (var flag in flags)
        {
            var bare = flag.TrimStart('-');
            if (bare == "build-id") style = linker == BuildIdLinker.Lld ? "fast" : "sha1";
            else if (bare.StartsWith("build-id=", StringComparison.Ordinal)) style = bare["build-id=".Length..];
            else if (bare == "no-build-id") style = null;
        }
        return style switch { "sha1" => BuildIdHash.Sha1, "md5" => BuildIdHash.Md5, _ => null };
    }

    /// <summary>
    /// Writes the recomputed build ID into the image's note; returns the old and the new descriptor, or null when the
    /// image has no note (a linker script may leave .note.gnu.build-id out).
    /// </summary>
    public static (byte[] Old, byte[] New)? Update(string path, BuildIdHash hash)
    {
        using var image = ElfImage.Open(path);
        var linker = LinkerOf(image);
        if (Find(image) is not { } note) return null;
        var old = image.ReadBytes(note.DescriptorOffset, note.DescriptorSize);
        var id = Compute(image, note, linker, hash);
        if (id.Length != note.DescriptorSize)
            throw new KbuildException(ErrorCodes.ElfSectionInvalid, path,
                $"the build ID note holds {note.DescriptorSize} bytes but a {hash} build ID has {id.Length}; " +
                "the linker flags do not match the image: relink it.");
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
            RandomAccess.Write(file, id, note.DescriptorOffset);
        return (old, id);
    }

    private static byte[] ComputeGnu(ElfImage image, Microsoft.Win32.SafeHandles.SafeFileHandle file, BuildIdNote note, BuildIdHash hash)
    {
        using var h = IncrementalHash.CreateHash(hash == BuildIdHash.Sha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.MD5);
        var elf64 = image.Class == ElfClass.Elf64;
        var order = image.ByteOrder;
        var header = Read(file, 0, elf64 ? 64 : 52, image.Path);
        long phoff = elf64 ? (long)order.U64(header.AsSpan(32)) : order.U32(header.AsSpan(28));
        long shoff = elf64 ? (long)order.U64(header.AsSpan(40)) : order.U32(header.AsSpan(32));
        int phentsize = order.U16(header.AsSpan(elf64 ? 54 : 42)), phnum = order.U16(header.AsSpan(elf64 ? 56 : 44));
        int shentsize = order.U16(header.AsSpan(elf64 ? 58 : 46));
        header.AsSpan(elf64 ? 32 : 28, elf64 ? 16 : 8).Clear();
        h.AppendData(header);
        h.AppendData(Read(file, phoff, phnum * phentsize, image.Path));

        var chunk = new byte[HashChunk];
        var noBfdSection = image.Sections.Where(s => s.Type is ElfSection.SHT_SYMTAB or ElfSection.SHT_SYMTAB_SHNDX)
            .SelectMany(s => s.Type == ElfSection.SHT_SYMTAB ? new[] { s.Index, (int)s.Link } : [s.Index])
            .Append(image.SectionNameTableIndex).ToHashSet();
        foreach (var section in image.Sections)
        {
            var sectionHeader = Read(file, shoff + (long)section.Index * shentsize, shentsize, image.Path);
            sectionHeader.AsSpan(elf64 ? 24 : 16, elf64 ? 8 : 4).Clear();
            h.AppendData(sectionHeader);
            if (section.Index == 0 || !section.HasFileContents || noBfdSection.Contains(section.Index)) continue;
            // In pieces: one array for a debug kernel's .debug_info would cost more than hashing it.
            for (long at = 0; at < (long)section.Size; at += chunk.Length)
            {
                var piece = chunk.AsSpan(0, (int)Math.Min(chunk.Length, (long)section.Size - at));
                image.ReadSectionPart(section, at, piece);
                ClearOverlap(piece, (long)section.Offset + at, note.NoteOffset, note.NoteSize);
                h.AppendData(piece);
            }
        }
        return h.GetHashAndReset();
    }

    private static byte[] ComputeLld(Microsoft.Win32.SafeHandles.SafeFileHandle file, BuildIdNote note, BuildIdHash hash)
    {
        var size = hash == BuildIdHash.Sha1 ? 20 : 16;
        var length = RandomAccess.GetLength(file);
        var chunk = new byte[LldChunk];
        var hashes = new List<byte>();
        for (long at = 0; at < length; at += LldChunk)
        {
            var span = chunk.AsSpan(0, (int)Math.Min(LldChunk, length - at));
            RandomAccess.Read(file, span, at);
            ClearOverlap(span, at, note.DescriptorOffset, note.DescriptorSize);
            hashes.AddRange(Blake3.Hash(span, size));
        }
        return Blake3.Hash(hashes.ToArray(), size);
    }

    /// <summary>Zeroes the part of <paramref name="piece"/> (at file offset <paramref name="pieceAt"/>) that lies in
    /// the <paramref name="size"/> bytes at <paramref name="at"/>.</summary>
    private static void ClearOverlap(Span<byte> piece, long pieceAt, long at, int size)
    {
        var from = Math.Max(pieceAt, at);
        var to = Math.Min(pieceAt + piece.Length, at + size);
        if (from < to) piece.Slice((int)(from - pieceAt), (int)(to - from)).Clear();
    }

    private static byte[] Read(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, int count, string path)
    {
        var bytes = new byte[count];
        if (offset < 0 || RandomAccess.Read(file, bytes, offset) != count)
            throw new KbuildException(ErrorCodes.ElfTruncated, path,
                $"the file ends before {count} bytes at offset {offset}; it is truncated: delete it and rebuild it.");
        return bytes;
    }

    private static long Align4(uint value) => (value + 3L) & ~3L;
}
