
namespace Kbuild.Tests.Table;

/// <summary>The shape-based finder (the oracle for "tools that read stripped images find our table") on the
/// kernel's own vmlinux of every fixture: it must find make's table before its verdict on ours means anything.</summary>
[TestClass]
public sealed class KallsymsShapeFinderTests
{
    [TestMethod]
    [DataRow("6.1", "A")]
    [DataRow("6.12", "A")]
    [DataRow("6.1", "B")]
    [DataRow("6.12", "B")]
    public void FindsTheTableOfMakesOwnVmlinuxByShapeAlone(string version, string config) =>
        KallsymsShapeFinder.AssertFindsTable(Path.Combine(KernelFixtures.BuildDir(version, config), "vmlinux"));

    [TestMethod]
    public void ImageWithoutATableIsNotFound()
    {
        var (table, reason) = KallsymsShapeFinder.Find(File.ReadAllBytes("/bin/true"));
        Assert.IsNull(table);
        StringAssert.Contains(reason, "kallsyms_token_table");
    }
}
