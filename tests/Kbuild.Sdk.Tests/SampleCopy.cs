using System.Text.RegularExpressions;
using Kbuild.Tests;
using Kbuild.Symbols;

namespace Kbuild.Sdk.Tests;

/// <summary>A folder of samples/ copied to a temporary directory (without earlier outputs), its projects importing
/// the SDK from this repository.</summary>
public sealed class SampleCopy : IDisposable
{
    public SampleCopy(string sample = "minikernel")
    {
        Dir = Directory.CreateTempSubdirectory("kbuild-sample-").FullName;
        Tool.RunChecked("cp", ["-r", Path.Combine(RepoPaths.Root, "samples", sample) + "/.", Dir]);
        foreach (var leftover in Directory.GetDirectories(Dir, "*", SearchOption.AllDirectories).Where(d => Path.GetFileName(d) is "obj" or "out"))
            if (Directory.Exists(leftover)) Directory.Delete(leftover, true);
        foreach (var project in Directory.GetFiles(Dir, "*.kproj", SearchOption.AllDirectories))
            File.WriteAllText(project, Regex.Replace(File.ReadAllText(project), @"(\.\./)+src/Kbuild\.Sdk/", RepoPaths.Root + "/src/Kbuild.Sdk/"));
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
