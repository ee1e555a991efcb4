namespace Kbuild.Tests;

/// <summary>
/// File-system faults for the hostile-input tests: something other than a file where the build expects one, a
/// read-only directory, a full disk. Root ignores permission bits, so a directory is made read-only with chattr +i
/// too; a full disk is a small tmpfs, where the machine lets the tests mount one.
/// </summary>
public static class FileSystemFaults
{
    /// <summary>Replaces <paramref name="path"/> (a file, or nothing) with a FIFO, a directory or a symlink to itself.</summary>
    public static void Replace(string path, string with)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);
        switch (with)
        {
            case "fifo": Tool.RunChecked("mkfifo", [path]); break;
            case "directory": Directory.CreateDirectory(path); break;
            case "symlink loop": File.CreateSymbolicLink(path, Path.GetFileName(path)); break;
            default: throw new ArgumentException(with);
        }
    }

    /// <summary>Undoes <see cref="Replace"/>: nothing is left at <paramref name="path"/>.</summary>
    public static void Remove(string path)
    {
        if (Directory.Exists(path) && !File.GetAttributes(path).HasFlag(FileAttributes.ReparsePoint)) Directory.Delete(path, recursive: true);
        else File.Delete(path);
    }

    /// <summary>Makes <paramref name="directory"/> read-only for this process; false when it cannot be (root without chattr).</summary>
    public static bool MakeReadOnly(string directory)
    {
        Tool.RunChecked("chmod", ["a-w", directory]);
        if (!CanCreateIn(directory)) return true;
        Tool.Run("chattr", ["+i", directory]);
        return !CanCreateIn(directory);
    }

    public static void MakeWritable(string directory)
    {
        Tool.Run("chattr", ["-i", directory]);
        Tool.RunChecked("chmod", ["u+w", directory]);
    }

    /// <summary>Mounts a tmpfs of <paramref name="bytes"/> at <paramref name="directory"/> (it must be empty); null when the
    /// machine does not let this process mount one. Disposing unmounts it.</summary>
    public static IDisposable? SmallDisk(string directory, long bytes)
    {
        var mount = Tool.Run("mount", ["-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", directory]);
        return mount.ExitCode == 0 ? new Unmount(directory) : null;
    }

    /// <summary>Fills the file system of <paramref name="directory"/> until <paramref name="free"/> bytes are left (about:
    /// tmpfs counts in pages).</summary>
    public static void Fill(string directory, long free)
    {
        var available = new DriveInfo(directory).AvailableFreeSpace;
        if (available <= free) return;
        using var filler = File.Create(Path.Combine(directory, ".filler"));
        var chunk = new byte[4096];
        for (var left = available - free; left > 0; left -= chunk.Length)
        {
            try { filler.Write(chunk, 0, (int)Math.Min(chunk.Length, left)); filler.Flush(); }
            catch (IOException) { break; }
        }
    }

    public static void Unfill(string directory) => File.Delete(Path.Combine(directory, ".filler"));

    private static bool CanCreateIn(string directory)
    {
        var probe = Path.Combine(directory, ".write-probe");
        try { File.WriteAllText(probe, ""); File.Delete(probe); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private sealed class Unmount(string directory) : IDisposable
    {
        public void Dispose() => Tool.Run("umount", ["-l", directory]);
    }
}
