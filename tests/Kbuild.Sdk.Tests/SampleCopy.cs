using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>samples/minikernel copied to a temporary directory (without earlier outputs), importing the SDK from this repository.</summary>
public sealed class SampleCopy : IDisposable
{
    public SampleCopy()
    {
        Dir = Directory.CreateTempSubdirectory("kbuild-sample-").FullName;
        Tool.RunChecked("cp", ["-r", Path.Combine(RepoPaths.Root, "samples", "minikernel") + "/.", Dir]);
        foreach (var leftover in new[] { "obj", "out" })
            if (Directory.Exists(Path.Combine(Dir, leftover))) Directory.Delete(Path.Combine(Dir, leftover), true);
        File.WriteAllText(Project, File.ReadAllText(Project).Replace("../../src/Kbuild.Sdk/", RepoPaths.Root + "/src/Kbuild.Sdk/"));
    }

    public string Dir { get; }
    public string Project => Path.Combine(Dir, "kernel.kproj");
    public string Vmlinux => Path.Combine(Dir, "out", "vmlinux");
    public string SystemMap => Path.Combine(Dir, "out", "System.map");

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
