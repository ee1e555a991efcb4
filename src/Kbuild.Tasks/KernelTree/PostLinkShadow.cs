using Kbuild.IO;

namespace Kbuild.KernelTree;

/// <summary>A side output of a post-link step, written beside its destination and renamed onto it later.</summary>
public sealed record StagedFile(string Staged, string Destination);

/// <summary>
/// A directory that looks like the kernel build directory to a make run after the link (the arch postlink, which reads
/// and writes relative paths such as include/config/auto.conf, arch/x86/tools/relocs and arch/x86/boot/compressed/; on
/// 7.x Makefile.vmlinux, which makes vmlinux and modules.builtin from vmlinux.unstripped): every top-level entry is a
/// symlink into the build directory except the staged image (moved in under its name), the files the make run writes
/// (<c>ownFiles</c>, absent so a write creates a new file rather than writing through a symlink), this and other
/// builds' temporary files, and — for a make run that writes there (the arch postlink) — <c>arch/</c>, whose directories
/// are real and whose files are symlinks but for those named vmlinux.* (what a postlink derives from vmlinux). So what
/// the make run creates stays in the shadow until it is published. It lives in the build directory (hidden, per build), so staged files are renamed within one file system.
/// </summary>
public sealed partial class PostLinkShadow : IDisposable
{
    private readonly string _buildDir;
    private readonly string _imageName;
    private readonly string? _staged;

    private PostLinkShadow(string dir, string buildDir, string imageName, string? staged)
    {
        Dir = dir;
        _buildDir = buildDir;
        _imageName = imageName;
        _staged = staged;
    }

    public string Dir { get; }

    /// <summary>Hidden names of shadows in a build directory, for removing those a killed build left.</summary>
    public const string Pattern = ".vmlinux.*.postlink";

    /// <param name="imageName">The linked image's name in the build directory (vmlinux, 7.x vmlinux.unstripped).</param>
    /// <param name="stagedImage">The staged image, moved into the shadow under <paramref name="imageName"/> (and back on
    /// dispose); null to see the build directory's own.</param>
    /// <param name="ownFiles">Top-level names the make run writes.</param>
    /// <param name="writesArch">The make run writes under arch/ (files named vmlinux.* there are its own).</param>
    public static PostLinkShadow Create(string buildDir, string imageName, string? stagedImage, IReadOnlyCollection<string> ownFiles,
        bool writesArch)
    {
        buildDir = Path.GetFullPath(buildDir);
        var dir = Path.Combine(buildDir, $".vmlinux.{Environment.ProcessId}.{Guid.NewGuid():N}.postlink");
        Directory.CreateDirectory(dir);
        var shadow = new PostLinkShadow(dir, buildDir, imageName, stagedImage);
        try
        {
            foreach (var entry in new DirectoryInfo(buildDir).EnumerateFileSystemInfos())
            {
                if (entry.Name == "arch" && writesArch || ownFiles.Contains(entry.Name) || stagedImage != null && entry.Name == imageName
                    || TemporaryName().IsMatch(entry.Name))
                    continue;
                File.CreateSymbolicLink(Path.Combine(dir, entry.Name), entry.FullName);
            }
            var arch = Path.Combine(buildDir, "arch");
            if (writesArch && Directory.Exists(arch)) Mirror(arch, Path.Combine(dir, "arch"));
            if (stagedImage != null) File.Move(stagedImage, Path.Combine(dir, imageName));
            return shadow;
        }
        catch
        {
            shadow.Dispose();
            throw;
        }
    }

    /// <summary>The regular files the make run created in the shadow (not the image, not <paramref name="kept"/>), moved
    /// out beside their destinations under unique hidden names.</summary>
    public IReadOnlyList<StagedFile> TakeSideOutputs(params string[] kept)
    {
        var files = new List<StagedFile>();
        foreach (var file in CreatedFiles(new DirectoryInfo(Dir)))
        {
            var relative = Path.GetRelativePath(Dir, file.FullName);
            if (relative == _imageName || kept.Contains(relative)) continue;
            var destination = Path.Combine(_buildDir, relative);
            var staged = AtomicOutput.TempPathFor(destination);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Move(file.FullName, staged);
            files.Add(new StagedFile(staged, destination));
        }
        return files;
    }

    // Regular files in real directories: what the make run wrote. Never through a link (source/ is the kernel tree).
    private static IEnumerable<FileInfo> CreatedFiles(DirectoryInfo dir)
    {
        foreach (var entry in dir.EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget != null) continue;
            if (entry is FileInfo file) yield return file;
            else foreach (var nested in CreatedFiles((DirectoryInfo)entry)) yield return nested;
        }
    }

    /// <summary>Moves a staged image back to its staging path and removes the shadow; never follows a link.</summary>
    public void Dispose()
    {
        var image = Path.Combine(Dir, _imageName);
        if (_staged != null && File.Exists(image) && new FileInfo(image).LinkTarget == null) File.Move(image, _staged, overwrite: true);
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

    // A build's temporary files beside its outputs: linked and staged images, shadows, temp files and response files.
    [System.Text.RegularExpressions.GeneratedRegex(@"^\..*\.(linked|staged|postlink|tmp|rsp)$")]
    private static partial System.Text.RegularExpressions.Regex TemporaryName();
}
