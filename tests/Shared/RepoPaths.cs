namespace Kbuild.Tests;

/// <summary>Locates the repository the tests were built from (the folder holding Kbuild.sln).</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Kbuild.sln"))) return dir.FullName;
        throw new InvalidOperationException("Kbuild.sln not found above " + AppContext.BaseDirectory);
    }
}
