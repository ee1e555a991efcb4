using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using Kbuild.Elf;

namespace Kbuild.Tests.Elf;

/// <summary>
/// ELFSharp as a second, independent reader: on ordinary files (where its known defects — REFERENCE §4:
/// special section indices, SHN_XINDEX, string table by name — do not apply) every section header and
/// every symbol's name, value, size, type and binding must agree with ours. The product reads ELF itself
/// because of those defects and because ELFSharp cannot open an archive member in place.
/// </summary>
[TestClass]
public sealed class ElfSharpCrossCheckTests
{
    private const string Source =
        "int counter = 1; static int hidden; const char banner[] = \"kb\"; __thread int tls;\n" +
        "__attribute__((weak)) int weak_fn(void) { return hidden; } int main(void) { return counter + weak_fn() + tls; }";

    [TestMethod]
    [DataRow("obj64", new[] { "-c" })]
    [DataRow("obj32", new[] { "-c", "-m32" })]
    [DataRow("exe64", new[] { "-static" })]
    [DataRow("exe32", new[] { "-m32" })]
    public void SectionsAndSymbolsAgreeWithElfSharp(string name, string[] flags)
    {
        using var tree = new TempTree();
        tree.Write("x.c", Source);
        tree.Run("gcc", [.. flags, "-g", "-o", name, "x.c"]);
        AssertAgrees(tree.PathOf(name));
    }

    [TestMethod]
    public void FixtureVmlinuxAgreesWithElfSharp() => AssertAgrees(Path.Combine(KernelFixtures.BuildDir("6.12", "B"), "vmlinux"));

    private static void AssertAgrees(string path)
    {
        using var ours = ElfImage.Open(path);
        using var theirs = ELFReader.Load(path);
        var theirSections = theirs.Sections.ToList();
        Assert.HasCount(theirSections.Count, ours.Sections);
        foreach (var (mine, other) in ours.Sections.Zip(theirSections))
        {
            Assert.AreEqual(other.Name, mine.Name);
            Assert.AreEqual((uint)other.Type, mine.Type, mine.Name);
            Assert.AreEqual(Convert.ToUInt64(GetHeaderField(other, "Offset")), mine.Offset, mine.Name);
            Assert.AreEqual(Convert.ToUInt64(GetHeaderField(other, "Size")), mine.Size, mine.Name);
            Assert.AreEqual(Convert.ToUInt64(GetHeaderField(other, "LoadAddress")), mine.Address, mine.Name);
        }

        var symtab = theirs.Sections.OfType<ISymbolTable>().Single(s => s.Name == ".symtab");
        var theirSymbols = symtab.Entries.Skip(1).ToList();
        var mySymbols = ours.ReadSymbols();
        Assert.HasCount(theirSymbols.Count, mySymbols);
        foreach (var (mine, other) in mySymbols.Zip(theirSymbols))
        {
            Assert.AreEqual(other.Name, mine.Name);
            Assert.AreEqual((byte)other.Type, (byte)mine.Type, mine.Name);
            Assert.AreEqual((byte)other.Binding, (byte)mine.Binding, mine.Name);
            Assert.AreEqual(Convert.ToUInt64(GetHeaderField(other, "Value")), mine.Value, mine.Name);
            Assert.AreEqual(Convert.ToUInt64(GetHeaderField(other, "Size")), mine.Size, mine.Name);
        }
    }

    /// <summary>ELFSharp types these fields as uint or ulong by ELF class; read them without caring which.</summary>
    private static object GetHeaderField(object entry, string property) =>
        entry.GetType().GetProperty(property)!.GetValue(entry)!;
}
