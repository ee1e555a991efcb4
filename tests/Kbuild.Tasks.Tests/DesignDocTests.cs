using System.Reflection;
using System.Text.RegularExpressions;
using Kbuild.Diagnostics;
using Kbuild.Tasks;

namespace Kbuild.Tests;

/// <summary>
/// docs/design.md cannot go stale: every class (and Class.Member) it names exists, every folder of src/Kbuild.Tasks has its
/// row in the order of the flow, every task its row, and every target its graph names is a target of the SDK.
/// </summary>
[TestClass]
public sealed class DesignDocTests
{
    private static readonly Assembly Tasks = typeof(KbuildException).Assembly;
    private static readonly string Design = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "design.md"));

    private static string Section(string heading)
    {
        var start = Design.IndexOf(heading, StringComparison.Ordinal);
        Assert.IsGreaterThanOrEqualTo(0, start, $"design.md has no '{heading}'");
        var next = Design.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return next < 0 ? Design[start..] : Design[start..next];
    }

    /// <summary>The rows of the tables in <paramref name="section"/> whose header starts with <paramref name="firstColumn"/>.</summary>
    private static List<string[]> Rows(string section, string firstColumn)
    {
        var rows = new List<string[]>();
        var inTable = false;
        foreach (var line in section.Split('\n'))
        {
            if (!line.StartsWith('|')) { inTable = false; continue; }
            var cells = line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (cells[0] == firstColumn) { inTable = true; continue; }
            if (inTable && !cells[0].StartsWith("---", StringComparison.Ordinal)) rows.Add(cells);
        }
        return rows;
    }

    private static IEnumerable<string> Code(string text) => Regex.Matches(text, "`([^`]+)`").Select(m => m.Groups[1].Value);

    private static readonly Dictionary<string, Type> TypesByName = Tasks.GetTypes()
        .Where(t => !t.Name.StartsWith('<') && !t.IsNested).GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.First());

    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance;

    /// <summary>The SDK's targets and the tests, which the page names too.</summary>
    private static readonly HashSet<string> OtherNames =
    [
        .. SdkFiles().SelectMany(f => Regex.Matches(File.ReadAllText(f), "<Target Name=\"([^\"]+)\"")).Select(m => m.Groups[1].Value),
        .. typeof(DesignDocTests).Assembly.GetTypes().Select(t => t.Name),
    ];

    private static IEnumerable<string> SdkFiles() =>
        Directory.GetFiles(Path.Combine(RepoPaths.Root, "src", "Kbuild.Sdk", "Sdk")).Where(f => f.EndsWith(".targets") || f.EndsWith(".props"));

    private static bool HasMember(Type type, string name) =>
        type.GetMember(name, Everything).Length > 0 || type.GetNestedType(name, Everything) != null;

    /// <summary>Whether a name in code font is what the code has: a type, Type.Member, a member of some type, or a file.</summary>
    private static string? Missing(string name)
    {
        if (name.StartsWith("Series/", StringComparison.Ordinal))
            return File.Exists(Path.Combine(RepoPaths.Root, "src", "Kbuild.Tasks", "Kernel", name + ".cs")) ? null : $"Kernel/{name}.cs";
        if (!Regex.IsMatch(name, @"^[A-Z][A-Za-z0-9_]*(\.[A-Z][A-Za-z0-9_]*)?$")) return null;  // not a name of the code
        var parts = name.Split('.');
        if (parts.Length == 2)
            return TypesByName.TryGetValue(parts[0], out var type) && HasMember(type, parts[1]) ? null : name;
        return TypesByName.ContainsKey(name) || OtherNames.Contains(name) || TypesByName.Values.Any(t => HasMember(t, name)) ? null : name;
    }

    [TestMethod]
    public void EveryClassThePageNamesExists()
    {
        var missing = Code(Section("## Which class does what")).Concat(Code(Section("## The files in obj/")))
            .Select(Missing).OfType<string>().Distinct().ToList();
        Assert.AreEqual(0, missing.Count, "docs/design.md names what the code does not have: " + string.Join(", ", missing));
    }

    [TestMethod]
    public void EveryFolderHasItsRowInTheOrderOfTheFlow()
    {
        var folders = Rows(Section("## Which class does what"), "folder").Select(r => r[0].Trim('`').TrimEnd('/')).ToArray();
        CollectionAssert.AreEqual(ArchitectureTests.Flow, folders, "design.md's folder rows, top to bottom, are the folders as the data flows");
    }

    [TestMethod]
    public void EveryTaskHasItsRow()
    {
        var named = Rows(Section("## Which class does what"), "task").SelectMany(r => Code(r[0])).ToHashSet(StringComparer.Ordinal);
        var tasks = Tasks.GetTypes().Where(t => t.IsSubclassOf(typeof(KbuildTask)) && !t.IsAbstract).Select(t => t.Name).ToList();
        CollectionAssert.AreEquivalent(tasks, named.ToList(), "design.md's task table lists exactly the tasks of Kbuild.Tasks");
    }

    [TestMethod]
    public void EveryTargetTheGraphNamesExists()
    {
        var text = string.Concat(SdkFiles().Select(File.ReadAllText));
        var targets = Regex.Matches(text, "<Target Name=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var properties = Regex.Matches(text, @"<(_?[A-Za-z]+)[ >]|\$\((_?[A-Za-z]+)\)").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).Where(n => !targets.Contains(n)).ToHashSet(StringComparer.Ordinal);
        var graph = Section("## The targets");
        var named = Regex.Matches(graph, @"\b_?(Kbuild|KernelTree|BeforeKbuild|AfterKbuild)[A-Za-z]*\b").Select(m => m.Value)
            .Where(n => !properties.Contains(n)).Distinct();
        var missing = named.Where(n => !targets.Contains(n)).ToList();
        Assert.AreEqual(0, missing.Count, "design.md's targets that no .targets file has: " + string.Join(", ", missing));
    }
}
