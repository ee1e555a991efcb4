using System.Text;
using Kbuild.Inputs;
using Kbuild.Diagnostics;

namespace Kbuild.Tests.Inputs;

/// <summary>The crash sites issue 12 names in the readers of link inputs (found by mutation fuzzing), each now a KB error.</summary>
[TestClass]
public sealed class HostileInputTests
{
    [TestMethod]
    [DataRow("SECTIONS { .text : { *(.text", "'(' is never closed")]
    [DataRow("SECTIONS { /DISCARD/ : { *(.exit.text) ", "'{' is never closed")]
    [DataRow("SECTIONS { .text : { *(.text) ) }", "')' closes nothing")]
    public void LinkerScript_UnclosedBracket_IsKB0320WithTheLine(string script, string what)
    {
        var e = Assert.ThrowsExactly<KbuildException>(() => LinkerScriptLayout.Parse(script, "bad.lds"));
        Assert.AreEqual(ErrorCodes.LinkerScriptInvalid, e.Code);
        Assert.AreEqual("bad.lds", e.File);
        StringAssert.Contains(e.Message, what);
    }

    [TestMethod]
    [DataRow("SECTIONS { .text : { *(.text.[) } }")]
    [DataRow("SECTIONS { .text : { *(.text[a) } }")]
    [DataRow("SECTIONS { .text : { *([) } }")]
    public void LinkerScript_UnclosedCharacterClass_IsLiteralAsForFnmatch(string script) =>
        Assert.IsNull(LinkerScriptLayout.Parse(script).RuleFor("a.o", ".text.x"));

    [TestMethod]
    public void LinkerScript_ClassNoMatcherAccepts_IsKB0320() =>
        Assert.AreEqual(ErrorCodes.LinkerScriptInvalid,
            Assert.ThrowsExactly<KbuildException>(() => LinkerScriptLayout.Parse("SECTIONS { /DISCARD/ : { *(.x[z-a]) } }")).Code);

    [TestMethod]
    public void Archive_BsdNameLongerThanTheMember_IsKB0102()
    {
        using var tree = new TempTree();
        var path = tree.PathOf("bad.a");
        File.WriteAllBytes(path, Archive("!<arch>\n", Header("#1/64", 4) + "abcd"));
        Assert.AreEqual(ErrorCodes.ArchiveCorrupt, Assert.ThrowsExactly<KbuildException>(() => ArArchive.Read(path)).Code);
    }

    [TestMethod]
    public void Archive_MemberSizePastTheEnd_IsKB0102()
    {
        using var tree = new TempTree();
        var path = tree.PathOf("bad.a");
        File.WriteAllBytes(path, Archive("!<arch>\n", Header("a.o/", 9999999999) + "\x7f" + "ELF"));
        Assert.AreEqual(ErrorCodes.ArchiveCorrupt, Assert.ThrowsExactly<KbuildException>(() => ArArchive.Read(path)).Code);
    }

    [TestMethod]
    public void ThinArchiveListingItself_IsKB0120_NotEndlessRecursion()
    {
        using var tree = new TempTree();
        var self = tree.PathOf("self.a");
        File.WriteAllBytes(self, Archive("!<thin>\n", Header("self.a/", 68)));
        var e = Assert.ThrowsExactly<KbuildException>(() => LinkInputReader.Read(self));
        Assert.AreEqual(ErrorCodes.ArchiveCycle, e.Code);
    }

    [TestMethod]
    public void ThinArchivesListingEachOther_AreKB0120()
    {
        using var tree = new TempTree();
        File.WriteAllBytes(tree.PathOf("a.a"), Archive("!<thin>\n", Header("b.a/", 68)));
        File.WriteAllBytes(tree.PathOf("b.a"), Archive("!<thin>\n", Header("a.a/", 68)));
        Assert.AreEqual(ErrorCodes.ArchiveCycle,
            Assert.ThrowsExactly<KbuildException>(() => LinkInputReader.Read(tree.PathOf("a.a"))).Code);
    }

    [TestMethod]
    public void ThinNestedElementOfItself_IsKB0102()
    {
        using var tree = new TempTree();
        var longNames = "self.a/\n";
        File.WriteAllBytes(tree.PathOf("self.a"), Archive("!<thin>\n", Header("//", longNames.Length) + longNames + Header("/0:8", 0)));
        Assert.AreEqual(ErrorCodes.ArchiveCorrupt,
            Assert.ThrowsExactly<KbuildException>(() => ArArchive.Read(tree.PathOf("self.a"))).Code);
    }

    private static byte[] Archive(string magic, string members) => Encoding.Latin1.GetBytes(magic + members);

    // name[16] date[12] uid[6] gid[6] mode[8] size[10] "`\n"
    private static string Header(string name, long size) =>
        name.PadRight(16) + "0".PadRight(12) + "0".PadRight(6) + "0".PadRight(6) + "644".PadRight(8) + size.ToString().PadRight(10) + "`\n";
}
