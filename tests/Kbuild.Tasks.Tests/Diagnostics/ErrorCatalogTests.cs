using System.Reflection;
using System.Text.RegularExpressions;
using Kbuild.Diagnostics;

namespace Kbuild.Tests.Diagnostics;

/// <summary>Every KB code the product can emit is unique and explained in docs/errors.md.</summary>
[TestClass]
public sealed class ErrorCatalogTests
{
    private static IReadOnlyList<(string Name, string Code)> DeclaredCodes() =>
        typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (f.Name, (string)f.GetRawConstantValue()!))
            .ToList();

    [TestMethod]
    public void CodesAreWellFormedAndUnique()
    {
        var codes = DeclaredCodes();
        foreach (var (name, code) in codes)
            StringAssert.Matches(code, new Regex("^KB[0-9]{4}$"), name);
        var duplicates = codes.GroupBy(c => c.Code).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.AreEqual(0, duplicates.Count, "duplicate codes: " + string.Join(", ", duplicates));
    }

    [TestMethod]
    public void EveryCodeIsDocumented()
    {
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "errors.md"));
        var missing = DeclaredCodes().Where(c => !doc.Contains($"### {c.Code} ")).Select(c => c.Code).ToList();
        Assert.AreEqual(0, missing.Count, "docs/errors.md lacks: " + string.Join(", ", missing));
    }

    /// <summary>Codes raised by the SDK's own &lt;Error&gt;/&lt;Warning&gt; elements are declared like the rest.</summary>
    [TestMethod]
    public void SdkTargetCodesAreDeclared()
    {
        var declared = DeclaredCodes().Select(c => c.Code).ToHashSet();
        var sdkDir = Path.Combine(RepoPaths.Root, "src", "Kbuild.Sdk", "Sdk");
        var undeclared = Directory.EnumerateFiles(sdkDir)
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), "Code=\"(KB[0-9]{4})\"").Select(m => m.Groups[1].Value))
            .Where(code => !declared.Contains(code)).Distinct().ToList();
        Assert.AreEqual(0, undeclared.Count, "declare in ErrorCodes: " + string.Join(", ", undeclared));
    }
}
