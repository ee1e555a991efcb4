namespace Kbuild.Tests.KernelTree;

/// <summary>A directory that looks like a configured x86-64 build: auto.conf, kernel.release, a Makefile.</summary>
internal sealed class FakeKernelTree : IDisposable
{
    public const string X86_64 = "CONFIG_64BIT=y\nCONFIG_X86_64=y\nCONFIG_KALLSYMS=y\n";

    public FakeKernelTree(string release, string makefile, string autoConf = X86_64)
    {
        Dir = TestTemp.Directory("kbuild-fake-");
        Directory.CreateDirectory(Path.Combine(Dir, "include", "config"));
        File.WriteAllText(AutoConf, autoConf);
        File.WriteAllText(Path.Combine(Dir, "include", "config", "kernel.release"), release + "\n");
        File.WriteAllText(Path.Combine(Dir, "Makefile"), makefile);
    }

    public string Dir { get; }
    public string AutoConf => Path.Combine(Dir, "include", "config", "auto.conf");

    /// <summary>Every file under the tree, relative to it.</summary>
    public string[] Files() =>
        Directory.EnumerateFiles(Dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Dir, f)).Order(StringComparer.Ordinal).ToArray();

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
