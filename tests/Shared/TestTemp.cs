namespace Kbuild.Tests;

/// <summary>
/// Every temp dir a test run makes lives under one root of this process, removed when the test assembly is done
/// (<see cref="DeleteRoot"/>); roots left by runs that were killed are removed by the next run.
/// </summary>
public static class TestTemp
{
    private const string RootPrefix = "kbuild-tests-";
    private static readonly Lazy<string> Root = new(CreateRoot);

    /// <summary>A new empty directory whose name starts with <paramref name="prefix"/>.</summary>
    public static string Directory(string prefix)
    {
        var dir = Path.Combine(Root.Value, prefix + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    public static void DeleteRoot()
    {
        if (Root.IsValueCreated && System.IO.Directory.Exists(Root.Value)) System.IO.Directory.Delete(Root.Value, recursive: true);
    }

    private static string CreateRoot()
    {
        foreach (var stale in System.IO.Directory.EnumerateDirectories(Path.GetTempPath(), RootPrefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(stale)[RootPrefix.Length..].Split('-')[0], out var pid) || IsAlive(pid)) continue;
            try { System.IO.Directory.Delete(stale, recursive: true); }
            catch (IOException) { } // another run sweeping at the same time
            catch (UnauthorizedAccessException) { }
        }
        return System.IO.Directory.CreateTempSubdirectory($"{RootPrefix}{Environment.ProcessId}-").FullName;
    }

    private static bool IsAlive(int pid) => System.IO.Directory.Exists($"/proc/{pid}");
}
