namespace Kbuild.Tests;

/// <summary>Small C sources compiled for a test link, and what nm says of the result.</summary>
internal static class LinkTestFiles
{
    public static string NewDir(string name) => TestTemp.Directory($"kbuild-link-{name}-");

    public static void Compile(string dir, string file, string source, string flags = "")
    {
        File.WriteAllText(Path.Combine(dir, file), source);
        Tool.RunChecked("gcc", [.. flags.Split(' ', StringSplitOptions.RemoveEmptyEntries), "-O2", "-ffreestanding", "-fno-pie",
            "-fno-asynchronous-unwind-tables", "-c", "-o", Path.ChangeExtension(file, ".o"), file], dir);
    }

    /// <summary>The names nm lists as defined in <paramref name="file"/>.</summary>
    public static HashSet<string> NmNames(string file, string dir) =>
        Tool.RunChecked("nm", [file], dir).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).Where(p => p.Length == 3 && p[1] is not ("U" or "w")).Select(p => p[2]).ToHashSet();
}
