using Kbuild.IO;

namespace Kbuild.KernelTree;

/// <summary>A side output of a post-link step, written beside its destination and renamed onto it later.</summary>
public sealed record StagedFile(string Staged, string Destination);

/// <summary>
/// A directory that looks like the kernel build directory to the arch postlink (which reads and writes
/// relative paths such as include/config/auto.conf, arch/x86/tools/relocs and arch/x86/boot/compressed/):
/// every top-level entry is a symlink into the build directory except <c>vmlinux</c>, which is the staged
/// image, and <c>arch/</c>, whose directories are real and whose files are symlinks, so a file the postlink
/// creates there stays in the shadow until it is published. Files named vmlinux.* (what a postlink derives
/// from vmlinux) are left out, so a write to one creates a new file rather than writing through a symlink.
/// It lives in the build directory (hidden, per build), so staged files are renamed within one file system.
/// </summary>
public sealed class PostlinkShadow : IDisposable
{
    private readonly string _buildDir;
    private readonly string _staged;

    private PostlinkShadow(string dir, string buildDir, string staged)
    {
        Dir = dir;
        _buildDir = buildDir;
        _staged = staged;
    }

    public string Dir { get; }

    /// <summary>Hidden names of shadows in a build directory, for removing those a killed build left.</summary>
    public const string Pattern = ".vmlinux.*.postlink";

    public static PostlinkShadow Create(string buildDir, string stagedVmlinux)
    {
        buildDir = Path.GetFullPath(buildDir);
        var dir = Path.Combine(buildDir, $".vmlinux.{Environment.ProcessId}.{Guid.NewGuid():N}.postlink");
        Directory.CreateDirectory(dir);
        var shadow = new PostlinkShadow(dir, buildDir, stagedVmlinux);
        try
        {
            foreach (var entry in new DirectoryInfo(buildDir).EnumerateFileSystemInfos())
            {
                if (entry.Name is "vmlinux" or "arch" || entry.Name.StartsWith(".vmlinux.", StringComparison.Ordinal)) continue;
                File.CreateSymbolicLink(Path.Combine(dir, entry.Name), entry.FullName);
            }
            var arch = Path.Combine(buildDir, "arch");
            if (Directory.Exists(arch)) Mirror(arch, Path.Combine(dir, "arch"));
            File.Move(stagedVmlinux, Path.Combine(dir, "vmlinux"));
            return shadow;
        }
        catch
        {
            shadow.Dispose();
            throw;
        }
    }

    /// <summary>The regular files the postlink created in the shadow (not vmlinux), moved out beside their
    /// destinations under unique hidden names.</summary>
    public IReadOnlyList<StagedFile> TakeSideOutputs()
    {
        var files = new List<StagedFile>();
        foreach (var file in CreatedFiles(new DirectoryInfo(Dir)))
        {
            if (file.FullName == Path.Combine(Dir, "vmlinux")) continue;
            var destination = Path.Combine(_buildDir, Path.GetRelativePath(Dir, file.FullName));
            var staged = AtomicOutput.TempPathFor(destination);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Move(file.FullName, staged);
            files.Add(new StagedFile(staged, destination));
        }
        return files;
    }

    // Regular files in real directories: what the postlink wrote. Never through a link (source/ is the kernel tree).
    private static IEnumerable<FileInfo> CreatedFiles(DirectoryInfo dir)
    {
        foreach (var entry in dir.EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget != null) continue;
            if (entry is FileInfo file) yield return file;
            else foreach (var nested in CreatedFiles((DirectoryInfo)entry)) yield return nested;
        }
    }

    /// <summary>Moves the (processed) image back to its staging path and removes the shadow; never follows a link.</summary>
    public void Dispose()
    {
        var image = Path.Combine(Dir, "vmlinux");
        if (File.Exists(image)) File.Move(image, _staged, overwrite: true);
        Remove(Dir);
    }

    /// <summary>Removes a shadow directory: its symlinks, never what they point to.</summary>
    public static void Remove(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget != null || entry is FileInfo) File.Delete(entry.FullName);
            else Remove(entry.FullName);
        }
        Directory.Delete(dir);
    }

    private static void Mirror(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var path = Path.Combine(target, entry.Name);
            if (entry is DirectoryInfo d && d.LinkTarget == null) Mirror(d.FullName, path);
            else if (!entry.Name.StartsWith("vmlinux.", StringComparison.Ordinal)) File.CreateSymbolicLink(path, entry.FullName);
        }
    }
}
