using System.Security.Cryptography;
using System.Text;
using Kbuild.Diagnostics;

namespace Kbuild.IO;

/// <summary>
/// A file a build keeps in obj/ for the next one (the inputs' symbols, the prediction's memo, the compressed names, the
/// reservation's key): a faster build when it is there and intact, never needed for a correct one. Written whole (temp +
/// rename) as a header, the payload and the SHA-256 of both, and read back only when the hash still matches: a damaged
/// file (truncated, overwritten, a FIFO or a directory in its place) is ignored — said once, through
/// <see cref="Report"/> — and the build writes it again; a file with another header (another format, another build of
/// this assembly) is stale and ignored silently. A cache that cannot be written costs the next build time, nothing else.
/// </summary>
public sealed class CacheFile(string path, Action<string>? report = null)
{
    private const int HashSize = 32;

    public string Path { get; } = path;

    /// <summary>Told once why a damaged file is ignored (a build shows it; null: nobody is told).</summary>
    public Action<string>? Report { get; } = report;

    /// <summary>The payload after <paramref name="header"/>, or null: no file, a stale one, or a damaged one (reported).</summary>
    public BinaryReader? Read(string header)
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(Path) && !Directory.Exists(Path)) return null;
            bytes = RegularFile.ReadAllBytes(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Ignore(e.Message);
            return null;
        }
        var payloadLength = Math.Max(0, bytes.Length - HashSize);
        var reader = new BinaryReader(new MemoryStream(bytes, 0, payloadLength, writable: false), Encoding.UTF8);
        try
        {
            if (reader.ReadString() != header) return null;
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException)
        {
            Ignore("its header is unreadable");
            return null;
        }
        if (!SHA256.HashData(bytes.AsSpan(0, payloadLength)).AsSpan().SequenceEqual(bytes.AsSpan(payloadLength)))
        {
            Ignore("its contents do not match their checksum");
            return null;
        }
        return reader;
    }

    /// <summary>Reports the file as damaged: its checksum matched but its payload does not read as the format says.</summary>
    public void Ignore(string why) =>
        Report?.Invoke($"{Path} is damaged ({why}): ignored; this build writes it again.");

    /// <summary>Writes <paramref name="header"/>, what <paramref name="writePayload"/> writes, and the checksum; a failure
    /// to write is no error (the next build reads the inputs again).</summary>
    public void Write(string header, Action<BinaryWriter> writePayload)
    {
        var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(header);
            writePayload(writer);
        }
        payload.Write(SHA256.HashData(payload.GetBuffer().AsSpan(0, (int)payload.Length)));
        try
        {
            AtomicOutput.WriteAllBytes(Path, payload.GetBuffer().AsSpan(0, (int)payload.Length));
        }
        catch (KbuildException)
        {
            // A cache that cannot be written (a full disk, a directory in its place) costs the next build time only.
        }
    }

    public void Delete() => AtomicOutput.DeleteIfExists(Path);
}
