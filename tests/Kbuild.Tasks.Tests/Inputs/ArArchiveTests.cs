using System.Text;
using Kbuild.Inputs;
using Kbuild.Diagnostics;

namespace Kbuild.Tests.Inputs;

/// <summary>Archive reading against `ar t` and `nm -n` on archives built by ar (regular, thin, nested).</summary>
[TestClass]
public sealed class ArArchiveTests
{
    /// <summary>Objects in subdirectories with long names, a regular and a thin archive of them, nested archives.</summary>
    private static TempTree BuildTree()
    {
        var tree = new TempTree();
        tree.Assemble("sub/a.o", ".text\n.globl fa\nfa: nop\n.data\nda: .long 1\n");
        tree.Assemble("sub/deep/b.o", ".text\n.globl fb\nfb: nop\nlb: nop\n.long undef_b\n");
        tree.Assemble("c.o", ".text\n.globl fc\nfc: nop\n.comm cc,8,8\n");
        for (int i = 1; i <= 3; i++)
            tree.Assemble($"sub/a_very_long_object_file_name_{i}.o", $".globl verylongname_function_{i}\nverylongname_function_{i}: nop\n", "as", "--32");
        tree.Run("ar", "rcsT", "sub/inner.a", "sub/a.o", "sub/deep/b.o", "sub/a_very_long_object_file_name_1.o");
        tree.Run("ar", "rcs", "sub/regular.a", "sub/a_very_long_object_file_name_2.o", "sub/deep/b.o", "c.o");
        tree.Run("ar", "rcsT", "thin.a", "c.o", "sub/inner.a", "sub/a_very_long_object_file_name_3.o");
        tree.Run("ar", "rcsT", "thin-with-regular.a", "sub/regular.a", "sub/a.o");
        return tree;
    }

    private static readonly string[] Archives = ["sub/inner.a", "sub/regular.a", "thin.a", "thin-with-regular.a"];

    [TestMethod]
    public void MemberNamesMatchArT()
    {
        using var tree = BuildTree();
        foreach (var archive in Archives)
        {
            var expected = tree.Run("ar", "t", tree.PathOf(archive));
            var members = ArArchive.Read(tree.PathOf(archive)).Members.Select(m => m.Name + "\n");
            Assert.AreEqual(expected, string.Concat(members), archive);
        }
    }

    [TestMethod]
    public void MemberSymbolsMatchNmOnTheArchive()
    {
        using var tree = BuildTree();
        foreach (var archive in Archives)
        {
            var path = tree.PathOf(archive);
            Assert.AreEqual(NmOracle.Nm("-n", path), NmOracle.OursForArchive(path), archive);
        }
    }

    [TestMethod]
    public void LinkInputsKeepLinkOrderAcrossObjectsAndArchives()
    {
        using var tree = BuildTree();
        var inputs = new[] { tree.PathOf("c.o"), tree.PathOf("thin.a"), tree.PathOf("sub/regular.a") };
        var names = LinkInputs.Expand(inputs).Select(o => o.DisplayName).ToArray();
        string thin = tree.PathOf("thin.a"), root = tree.Root + "/";
        CollectionAssert.AreEqual(new[]
        {
            tree.PathOf("c.o"),
            $"{thin}({root}c.o)", $"{thin}({root}sub/a.o)", $"{thin}({root}sub/deep/b.o)",
            $"{thin}({root}sub/a_very_long_object_file_name_1.o)", $"{thin}({root}sub/a_very_long_object_file_name_3.o)",
            $"{tree.PathOf("sub/regular.a")}(a_very_long_object_file_name_2.o)", $"{tree.PathOf("sub/regular.a")}(b.o)",
            $"{tree.PathOf("sub/regular.a")}(c.o)",
        }, names);
    }

    [TestMethod]
    public void MissingThinMemberIsReportedWithTheArchiveAndTheMember()
    {
        using var tree = BuildTree();
        File.Delete(tree.PathOf("sub/deep/b.o"));
        var e = Assert.ThrowsExactly<KbuildException>(() => LinkInputs.Expand([tree.PathOf("thin.a")]));
        Assert.AreEqual(ErrorCodes.ThinMemberMissing, e.Code);
        Assert.AreEqual(tree.PathOf("thin.a"), e.File);
        StringAssert.Contains(e.Message, "sub/deep/b.o");
    }

    [TestMethod]
    public void TruncatedRegularArchiveIsCorrupt()
    {
        using var tree = BuildTree();
        var bytes = File.ReadAllBytes(tree.PathOf("sub/regular.a"));
        File.WriteAllBytes(tree.PathOf("cut.a"), bytes[..(bytes.Length - 100)]);
        var e = Assert.ThrowsExactly<KbuildException>(() => ArArchive.Read(tree.PathOf("cut.a")));
        Assert.AreEqual(ErrorCodes.ArchiveCorrupt, e.Code);
        Assert.AreEqual(tree.PathOf("cut.a"), e.File);
    }

    [TestMethod]
    public void NonElfMemberIsReportedAsArchiveMember()
    {
        using var tree = BuildTree();
        tree.Write("notes.txt", "hello\n");
        tree.Run("ar", "rc", "mixed.a", "notes.txt");
        var e = Assert.ThrowsExactly<KbuildException>(() => LinkInputReader.Read(tree.PathOf("mixed.a")));
        Assert.AreEqual(ErrorCodes.NotElf, e.Code);
        Assert.AreEqual($"{tree.PathOf("mixed.a")}(notes.txt)", e.File);
    }

    [TestMethod]
    public void NotAnArchive()
    {
        using var tree = BuildTree();
        var e = Assert.ThrowsExactly<KbuildException>(() => ArArchive.Read(tree.PathOf("c.o")));
        Assert.AreEqual(ErrorCodes.NotArchive, e.Code);
    }
}
