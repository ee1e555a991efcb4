using Kbuild.Elf;

namespace Kbuild.Tests;

/// <summary>Byte-for-byte comparison of two images that, on a mismatch, says where: section, offset, bytes.</summary>
public static class ImageDiff
{
    /// <summary>Null when the files are identical, else the first difference described.</summary>
    public static string? FirstDifference(string expectedPath, string actualPath)
    {
        var expected = File.ReadAllBytes(expectedPath);
        var actual = File.ReadAllBytes(actualPath);
        var at = expected.AsSpan().CommonPrefixLength(actual);
        if (at == expected.Length && at == actual.Length) return null;
        string where;
        try
        {
            using var image = ElfImage.Open(expectedPath);
            var section = image.Sections.FirstOrDefault(s => s.HasFileContents && (ulong)at >= s.Offset && (ulong)at < s.Offset + s.Size);
            where = section == null ? "outside any section (headers or padding)" : $"in section [{section.Index}] {section.Name} at +0x{(ulong)at - section.Offset:x}";
        }
        catch (Kbuild.Diagnostics.KbuildException e)
        {
            where = $"(not an ELF file: {e.Code})";
        }
        string Bytes(byte[] b) => at >= b.Length ? "end of file" : Convert.ToHexString(b.AsSpan(at, Math.Min(16, b.Length - at))).ToLowerInvariant();
        return $"{Path.GetFileName(actualPath)} differs from {expectedPath} first at file offset 0x{at:x} {where}: " +
            $"expected {Bytes(expected)}, got {Bytes(actual)} (sizes {expected.Length} and {actual.Length})";
    }
}
