namespace Kbuild.Sdk.Tests;

/// <summary>A process of this machine, read from /proc (for tests that look for what a build left running).</summary>
public sealed record RunningProcess(int Pid)
{
    public static IEnumerable<RunningProcess> All() =>
        Directory.GetDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0).Select(pid => new RunningProcess(pid));

    /// <summary>The arguments it was started with (none once it is gone).</summary>
    public string[] Arguments()
    {
        try { return File.ReadAllText($"/proc/{Pid}/cmdline").Split('\0'); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    public string CommandLine() => string.Join(' ', Arguments());

    public string? WorkingDirectory()
    {
        try { return new DirectoryInfo($"/proc/{Pid}/cwd").ResolveLinkTarget(false)?.FullName; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
