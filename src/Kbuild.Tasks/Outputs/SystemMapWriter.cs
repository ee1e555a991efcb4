using Kbuild.IO;
using System.Buffers;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Symbols;

namespace Kbuild.Outputs;

/// <summary>System.map from a linked ELF, as the kernel's scripts/mksysmap makes it: `nm -n` lines minus the ones
/// the kernel series' filter deletes (<see cref="SystemMapFilter.ForEachKeptLine"/>).</summary>
public static class SystemMapWriter
{
    /// <summary>System.map's bytes for the ELF file.</summary>
    public static byte[] Render(ElfImage image, SystemMapFilter filter)
    {
        var output = new ArrayBufferWriter<byte>(1 << 20);
        filter.ForEachKeptLine(NmReader.ReadSorted(image), NmFormat.AddressDigits(image.Class), (_, line) =>
        {
            var bytes = output.GetSpan(line.Length + 1);
            Encoding.Latin1.GetBytes(line, bytes);
            bytes[line.Length] = (byte)'\n';
            output.Advance(line.Length + 1);
        });
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Writes System.map for <paramref name="elfPath"/> to <paramref name="outputPath"/> through a temporary
    /// file renamed into place, so a failure never leaves a partial System.map (an existing one stays untouched).</summary>
    public static void Write(string elfPath, string outputPath, SystemMapFilter filter)
    {
        byte[] contents;
        using (var image = ElfImage.Open(elfPath))
            contents = Render(image, filter);

        AtomicOutput.WriteAllBytes(outputPath, contents, ErrorCodes.SysmapWriteFailed);
    }
}
