namespace Kbuild.IO;

/// <summary>
/// Writes an output so readers only ever see the previous complete file or the new complete file:
/// the bytes go to a temporary file in the same directory (same file system, so the rename is atomic)
/// and are renamed over the destination only after the writer finished without throwing.
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
    public static void Write(string path, Action<string> writeTemp)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = TempPathFor(path);
        try
        {
            writeTemp(temp);
            Commit(temp, path);
        }
        finally
        {
            DeleteIfExists(temp);
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, temp => File.WriteAllBytes(temp, copy));
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, temp => File.WriteAllText(temp, text));

    /// <summary>Renames a finished temporary file onto the destination, replacing it.</summary>
    public static void Commit(string temp, string path) => File.Move(temp, path, overwrite: true);

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
