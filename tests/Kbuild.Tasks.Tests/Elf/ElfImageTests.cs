using System.Globalization;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.Elf;

namespace Kbuild.Tests.Elf;

/// <summary>Sections, address to file offset, relocations (against readelf) and bad input.</summary>
[TestClass]
public sealed class ElfImageTests
{
    [TestMethod]
    public void FileOffsetOfReadsTheBytesOfAnInitializedSymbol()
    {
        using var tree = new TempTree();
        tree.Write("m.c", "const char message[] = \"hello kbuild\"; int zeroed[64]; int main(void) { return message[0] + zeroed[1]; }");
        foreach (var flags in new[] { new[] { "-static" }, ["-m32"] })
        {
            tree.Run("gcc", [.. flags, "-o", "m", "m.c"]);
            using var image = ElfImage.Open(tree.PathOf("m"));
            var symbols = image.ReadSymbols();
            var message = symbols.Single(s => s.Name == "message");
            var offset = image.FileOffsetOf(message.Value);
            Assert.AreEqual("hello kbuild", Encoding.ASCII.GetString(image.ReadBytes(offset, 12)));
            var zeroed = symbols.Single(s => s.Name == "zeroed");
            Assert.AreEqual(ErrorCodes.AddressNotInFile,
                Assert.ThrowsExactly<KbuildException>(() => image.FileOffsetOf(zeroed.Value)).Code);
        }
    }

    [TestMethod]
    public void SectionsMatchReadelf()
    {
        using var tree = new TempTree();
        var obj = tree.Compile("s.o", "int x = 1; static int y; int f(void) { return x + y; }", "-g");
        using var image = ElfImage.Open(obj);
        var readelf = tree.Run("readelf", "-SW", obj).Split('\n').Where(l => l.TrimStart().StartsWith('[') && !l.Contains("Nr]")).ToArray();
        Assert.HasCount(readelf.Length, image.Sections);
        foreach (var (line, section) in readelf.Zip(image.Sections))
        {
            var fields = line[(line.IndexOf(']') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.AreEqual(fields[0] == "NULL" ? "" : fields[0], section.Name);
            Assert.AreEqual(ulong.Parse(fields[fields[0] == "NULL" ? 2 : 3], NumberStyles.HexNumber), section.Offset, line);
        }
    }

    [TestMethod]
    public void RelocationsMatchReadelf()
    {
        using var tree = new TempTree();
        const string c = "extern int a, b[4]; int get(int i) { return a + b[i] + b[2]; }";
        foreach (var (name, flags) in new[] { ("r64.o", new[] { "-O1" }), ("r32.o", ["-O1", "-m32"]) })
        {
            var obj = tree.Compile(name, c, flags);
            using var image = ElfImage.Open(obj);
            var section = image.Sections.Single(s => s.Type is ElfSection.SHT_RELA or ElfSection.SHT_REL && s.Name.EndsWith(".text"));
            var ours = image.ReadRelocations(section);
            var expected = tree.Run("readelf", "-rW", obj).Split('\n')
                .SkipWhile(l => !l.Contains($"'{section.Name}'")).Skip(2).TakeWhile(l => l.Length > 0)
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
            Assert.HasCount(expected.Length, ours);
            foreach (var (fields, r) in expected.Zip(ours))
            {
                Assert.AreEqual(ulong.Parse(fields[0], NumberStyles.HexNumber), r.Offset);
                ulong info = ulong.Parse(fields[1], NumberStyles.HexNumber);
                bool elf64 = image.Class == ElfClass.Elf64;
                Assert.AreEqual(elf64 ? (uint)(info >> 32) : (uint)(info >> 8), r.SymbolIndex);
                Assert.AreEqual(elf64 ? (uint)info : (uint)(info & 0xFF), r.Type);
                if (section.Type == ElfSection.SHT_RELA)
                {
                    var addend = fields[^1];
                    long magnitude = long.Parse(addend, NumberStyles.HexNumber);
                    Assert.AreEqual(fields[^2] == "-" ? -magnitude : magnitude, r.Addend);
                }
            }
        }
    }

    [TestMethod]
    public void NotAnElfFile()
    {
        using var tree = new TempTree();
        AssertOpenFails(tree.Write("text.o", "this is not an object\n"), ErrorCodes.NotElf, "not an ELF file");
        AssertOpenFails(tree.Write("empty.o", ""), ErrorCodes.NotElf, "empty");
        tree.Compile("x.o", "int x;");
        tree.Run("ar", "rc", "lib.a", "x.o");
        AssertOpenFails(tree.PathOf("lib.a"), ErrorCodes.NotElf, "archive");
    }

    [TestMethod]
    public void LlvmBitcodeIsNamedAsSuch()
    {
        // What clang -flto writes: raw bitcode ("BC" C0DE), or the same in the bitcode wrapper (0x0B17C0DE).
        using var tree = new TempTree();
        var raw = tree.PathOf("export.o");
        File.WriteAllBytes(raw, [(byte)'B', (byte)'C', 0xC0, 0xDE, 0x35, 0x14, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x62, 0x0C, 0x30, 0x24]);
        AssertOpenFails(raw, ErrorCodes.LlvmBitcodeInput, "LLVM bitcode");
        var wrapped = tree.PathOf("wrapped.o");
        File.WriteAllBytes(wrapped, [0xDE, 0xC0, 0x17, 0x0B, 0, 0, 0, 0, 0x14, 0, 0, 0, 0x10, 0, 0, 0, (byte)'B', (byte)'C', 0xC0, 0xDE]);
        AssertOpenFails(wrapped, ErrorCodes.LlvmBitcodeInput, "CONFIG_LTO_CLANG");
    }

    [TestMethod]
    public void TruncatedElfFiles()
    {
        using var tree = new TempTree();
        var obj = tree.Compile("t.o", "int x = 1; int f(void) { return x; }");
        var bytes = File.ReadAllBytes(obj);
        File.WriteAllBytes(tree.PathOf("header.o"), bytes[..30]);
        AssertOpenFails(tree.PathOf("header.o"), ErrorCodes.ElfTruncated, "truncated");
        // gcc puts the section header table at the end: cutting the tail leaves it past EOF.
        File.WriteAllBytes(tree.PathOf("tail.o"), bytes[..(bytes.Length - 100)]);
        AssertOpenFails(tree.PathOf("tail.o"), ErrorCodes.ElfTruncated, "section header table");
    }

    [TestMethod]
    public void SymbolTablePastEndOfFile()
    {
        using var tree = new TempTree();
        var obj = tree.Compile("t.o", "int x = 1; int f(void) { return x; }");
        var bytes = File.ReadAllBytes(obj);
        using (var image = ElfImage.Open(obj))
        {
            var symtab = image.FindSection(".symtab")!;
            // Point .symtab's sh_offset past the end of the file.
            long shoff = BitConverter.ToInt64(bytes, 0x28);
            BitConverter.GetBytes((ulong)bytes.Length + 1000).CopyTo(bytes, (int)shoff + symtab.Index * 64 + 24);
        }
        File.WriteAllBytes(tree.PathOf("bad.o"), bytes);
        using var bad = ElfImage.Open(tree.PathOf("bad.o"));
        var e = Assert.ThrowsExactly<KbuildException>(() => bad.ReadSymbols());
        Assert.AreEqual(ErrorCodes.ElfTruncated, e.Code);
        StringAssert.Contains(e.Message, ".symtab");
    }

    [TestMethod]
    public void UnreadableFiles()
    {
        using var tree = new TempTree();
        AssertOpenFails(tree.PathOf("missing.o"), ErrorCodes.FileUnreadable, "does not exist");
        AssertOpenFails(tree.Root, ErrorCodes.FileUnreadable, "cannot open");
    }

    private static void AssertOpenFails(string path, string code, string messagePart)
    {
        var e = Assert.ThrowsExactly<KbuildException>(() => { using var image = ElfImage.Open(path); image.ReadSymbols(); });
        Assert.AreEqual(code, e.Code, e.Message);
        Assert.AreEqual(path, e.File);
        StringAssert.Contains(e.Message, messagePart);
    }
}
