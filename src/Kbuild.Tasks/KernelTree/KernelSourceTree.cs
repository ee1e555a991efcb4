namespace Kbuild.KernelTree;

/// <summary>Where a build directory's kernel sources are.</summary>
public static class KernelSourceTree
{
    /// <summary>The source tree of a build directory: the 'source' link the kernel's make leaves in an O= directory,
    /// else the directory itself (an in-tree build).</summary>
    public static string Of(string buildDir)
    {
        var link = new DirectoryInfo(Path.Combine(buildDir, "source"));
        return link.Exists ? link.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? link.FullName : buildDir;
    }
}
