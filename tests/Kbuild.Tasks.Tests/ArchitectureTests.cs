using System.Reflection;
using System.Text.RegularExpressions;
using Kbuild.Diagnostics;
using NetArchTest.Rules;

namespace Kbuild.Tests;

/// <summary>
/// The shape of src/Kbuild.Tasks (docs/design.md): its folders in the order the data flows, basic types first. A folder
/// (its namespace) uses only folders before it; only Tasks touches Microsoft.Build; every folder has its place in the
/// flow; and the tests mirror the folders.
/// </summary>
[TestClass]
public sealed class ArchitectureTests
{
    /// <summary>The folders of src/Kbuild.Tasks as the data flows: basic types, then link inputs → symbols → table →
    /// image → outputs, then kernel-tree mode, then the MSBuild tasks.</summary>
    public static readonly string[] Flow =
        ["Diagnostics", "IO", "Kernel", "Elf", "Inputs", "Symbols", "Table", "Image", "Outputs", "KernelTree", "Tasks"];

    private static readonly Assembly Tasks = typeof(KbuildException).Assembly;

    public static IEnumerable<object[]> Folders => Flow.Select(f => new object[] { f });

    private static PredicateList InFolder(string folder) =>
        Types.InAssembly(Tasks).That().ResideInNamespaceMatching($@"^Kbuild\.{folder}$");

    [TestMethod]
    [DynamicData(nameof(Folders))]
    public void AFolderUsesNoFolderLaterInTheFlow(string folder)
    {
        var later = Flow.Skip(Array.IndexOf(Flow, folder) + 1).Select(f => $"Kbuild.{f}").ToArray();
        if (later.Length == 0) return;
        var result = InFolder(folder).ShouldNot().HaveDependencyOnAny(later).GetResult();
        Assert.IsTrue(result.IsSuccessful,
            $"{folder} uses a folder after it in the flow ({string.Join(", ", later)}): {string.Join(", ", result.FailingTypeNames ?? [])}. " +
            "Move the knowledge down, or pass it in.");
    }

    /// <summary>The rule above can fail: Tasks uses Table, so "Tasks uses no Table" does.</summary>
    [TestMethod]
    public void TheRuleSeesAUse() =>
        Assert.IsFalse(InFolder("Tasks").ShouldNot().HaveDependencyOn("Kbuild.Table").GetResult().IsSuccessful);

    [TestMethod]
    [DynamicData(nameof(Folders))]
    public void OnlyTasksTouchMicrosoftBuild(string folder)
    {
        if (folder == "Tasks") return;
        var result = InFolder(folder).ShouldNot().HaveDependencyOn("Microsoft.Build").GetResult();
        Assert.IsTrue(result.IsSuccessful, $"{folder} uses Microsoft.Build: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [TestMethod]
    public void EveryNamespaceIsAFolderInTheFlow()
    {
        var namespaces = Tasks.GetTypes().Select(t => t.Namespace).Where(n => n != null && n.StartsWith("Kbuild", StringComparison.Ordinal))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        CollectionAssert.AreEquivalent(Flow.Select(f => $"Kbuild.{f}").ToList(), namespaces,
            "a namespace of Kbuild.Tasks that is not in the flow: give it its place in ArchitectureTests.Flow and docs/design.md");
        foreach (var dir in Directory.GetDirectories(SourceRoot).Select(Path.GetFileName).Where(d => d is not ("bin" or "obj")))
            CollectionAssert.Contains(Flow, dir, $"src/Kbuild.Tasks/{dir} is no folder of the flow");
        foreach (var file in Directory.GetFiles(SourceRoot, "*.cs", SearchOption.AllDirectories).Where(f => !IsBuildOutput(f)))
        {
            var folder = Path.GetRelativePath(SourceRoot, file).Split(Path.DirectorySeparatorChar)[0];
            StringAssert.Contains(File.ReadAllText(file), $"namespace Kbuild.{folder};", $"{file}: its namespace is its folder");
        }
    }

    /// <summary>tests/Kbuild.Tasks.Tests/&lt;Folder&gt; tests src/Kbuild.Tasks/&lt;Folder&gt;: no other folders (helpers sit at the root).</summary>
    [TestMethod]
    public void TestFoldersMirrorTheSourceFolders()
    {
        var testRoot = Path.Combine(RepoPaths.Root, "tests", "Kbuild.Tasks.Tests");
        foreach (var dir in Directory.GetDirectories(testRoot).Select(Path.GetFileName).Where(d => d is not ("bin" or "obj" or "TestResults")))
            CollectionAssert.Contains(Flow, dir, $"tests/Kbuild.Tasks.Tests/{dir} mirrors no folder of src/Kbuild.Tasks");
    }

    private static string SourceRoot => Path.Combine(RepoPaths.Root, "src", "Kbuild.Tasks");

    private static bool IsBuildOutput(string path) =>
        Path.GetRelativePath(SourceRoot, path).Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj";
}
