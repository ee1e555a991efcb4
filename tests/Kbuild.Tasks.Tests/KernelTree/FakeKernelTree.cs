namespace Kbuild.Tests.KernelTree;

/// <summary>A directory that looks like a configured x86-64 build: auto.conf, kernel.release, a Makefile, and for a
/// release of a known series the 'source' link to that series' fixture source tree (whose scripts the probe checks).</summary>
internal sealed class FakeKernelTree : IDisposable
{
    public const string X86_64 = "CONFIG_64BIT=y\nCONFIG_X86_64=y\nCONFIG_KALLSYMS=y\n";

    public FakeKernelTree(string release, string makefile, string autoConf = X86_64)
    {
        Dir = TestTemp.Directory("kbuild-fake-");
        KernelFixtures.FakeBuildDir(Dir, release, makefile, autoConf);
    }

    public string Dir { get; }
    public string AutoConf => Path.Combine(Dir, "include", "config", "auto.conf");

    /// <summary>Every file under the tree, relative to it (not through the 'source' link).</summary>
    public string[] Files() =>
        Directory.EnumerateFiles(Dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(f => Path.GetRelativePath(Dir, f)).Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        var source = new DirectoryInfo(Path.Combine(Dir, "source"));
        if (source.LinkTarget != null) source.Delete();  // the link, not the tree it points to
        Directory.Delete(Dir, recursive: true);
    }
}
