using Kbuild.Diagnostics;

namespace Kbuild.IO;

/// <summary>
/// Writes an output so readers only ever see the previous complete file or the new complete file:
/// the bytes go to a temporary file in the same directory (same file system, so the rename is atomic)
/// and are renamed over the destination only after the writer finished without throwing. A file that cannot be
/// written (a read-only or full disk, a directory in its place, a file where its directory should be) is a
/// KbuildException naming it: KB0009 unless the caller's output has a code of its own.
/// </summary>
public static class AtomicOutput
{
    /// <summary>
    /// A fresh temporary path beside <paramref name="path"/>. Hidden (leading dot) and unique per
    /// process, so concurrent builds and leftovers of a killed build never collide with real outputs.
    /// </summary>
    public static string TempPathFor(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        return Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>
    /// Runs <paramref name="writeTemp"/> with a temporary path beside <paramref name="path"/>, then renames
    /// the temporary file onto <paramref name="path"/>. When the writer throws, the temporary file is
    /// removed and <paramref name="path"/> keeps its previous contents.
    /// </summary>
    /// <param name="unwritableCode">The KB code of a failure to write (KB0009 unless the output has its own).</param>
    public static void Write(string path, Action<string> writeTemp, string unwritableCode = ErrorCodes.OutputUnwritable)
    {
        var temp = TempPathFor(path);
        try
        {
            Writable(path, () =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                writeTemp(temp);
                return true;
            }, unwritableCode);
            Commit(temp, path, unwritableCode);
        }
        finally
        {
            DeleteIfExists(temp);
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, string unwritableCode = ErrorCodes.OutputUnwritable)
    {
        var copy = bytes.ToArray();
        Write(path, temp => File.WriteAllBytes(temp, copy), unwritableCode);
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, temp => File.WriteAllText(temp, text));

    /// <summary>Renames a finished temporary file onto the destination, replacing it.</summary>
    public static void Commit(string temp, string path, string unwritableCode = ErrorCodes.OutputUnwritable) =>
        Writable(path, () => { File.Move(temp, path, overwrite: true); return true; }, unwritableCode);

    /// <summary>Runs <paramref name="write"/>, which writes <paramref name="path"/>; its I/O failure becomes the KB error.</summary>
    public static T Writable<T>(string path, Func<T> write, string code = ErrorCodes.OutputUnwritable)
    {
        try
        {
            return write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KbuildException(code, path, $"cannot write '{path}': {e.Message.TrimEnd('.')}. Check that its directory is writable " +
                "and the disk has room, and remove whatever is in its place if it is not a file.", inner: e);
        }
    }

    public static void DeleteIfExists(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A leftover temporary file is harmless (hidden, unique name); never mask the real outcome.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
