using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Inputs;
using Kbuild.Symbols;

namespace Kbuild.Tests.Inputs;

/// <summary>
/// LLVM bitcode link inputs (what clang -flto writes; an LTO kernel's .vmlinux.export.o and version-timestamp.o):
/// predicted through their native stand-in, checked against a real ld.lld-16 link of the bitcode.
/// </summary>
[TestClass]
public sealed class BitcodeStandInsTests
{
    // Like the kernel's LTO objects: -fvisibility=hidden, module asm with local labels (the export object's ksymtab).
    private const string BitcodeSource = """
        int bc_data = 1;
        const char bc_banner[] = "banner";
        static int bc_counter;
        int bc_function(int x) { return x + bc_counter++; }
        __attribute__((visibility("default"))) int bc_default(void) { return 2; }
        asm(".section \".rodata.asm\",\"a\"\n__asm_local:\n.long 1\n.globl __asm_global\n__asm_global:\n.long 2\n.previous\n");
        """;

    private const string NativeSource = """
        extern int bc_data, bc_function(int), bc_default(void);
        extern const char bc_banner[];
        extern int __asm_global;
        void _start(void) { bc_function(bc_data + bc_banner[0] + bc_default() + __asm_global); for (;;); }
        """;

    private const string Script = """
        SECTIONS {
          .text : { _stext = .; *(.text .text.*) _etext = .; }
          .rodata : { *(.rodata .rodata.*) }
          .data : { *(.data .data.*) }
          .bss : { *(.bss .bss.*) }
        }
        """;

    [TestMethod]
    public void PredictionOfABitcodeInputIsTheLldLinksNm()
    {
        var dir = TestTemp.Directory("kbuild-bitcode-");
        try
        {
            File.WriteAllText(Path.Combine(dir, "bc.c"), BitcodeSource);
            File.WriteAllText(Path.Combine(dir, "start.c"), NativeSource);
            File.WriteAllText(Path.Combine(dir, "s.lds"), Script);
            Tool.RunChecked("clang-16", ["-O2", "-flto=thin", "-fvisibility=hidden", "-ffreestanding", "-fno-pie", "-c", "-o", "bc.o", "bc.c"], dir);
            Tool.RunChecked("clang-16", ["-O2", "-ffreestanding", "-fno-pie", "-fno-asynchronous-unwind-tables", "-c", "-o", "start.o", "start.c"], dir);
            Assert.IsTrue(BitcodeStandIns.IsBitcodeFile(Path.Combine(dir, "bc.o")), "clang -flto writes bitcode");
            Tool.RunChecked("ld.lld-16", ["-T", "s.lds", "-o", "linked", "start.o", "bc.o"], dir);
            var linked = Nm(Path.Combine(dir, "linked"), dir);

            var inputs = BitcodeStandIns.Substitute([Path.Combine(dir, "start.o"), Path.Combine(dir, "bc.o")], "ld.lld-16", "-m elf_x86_64",
                Path.Combine(dir, "stand-ins"));
            Assert.AreEqual(Path.Combine(dir, "start.o"), inputs[0], "an ELF object is its own stand-in");
            using (var standIn = ElfImage.Open(inputs[1])) Assert.AreEqual((ushort)1, standIn.FileType, "ET_REL");
            var (predicted, _) = LinkPrediction.Predict(inputs, [], LinkerScriptLayout.Read(Path.Combine(dir, "s.lds")), [], [], linkerIsLld: true);
            var ours = predicted.Select(s => $"{s.Type} {s.Name}").Order(StringComparer.Ordinal).ToList();
            CollectionAssert.AreEqual(linked, ours, $"ld.lld: {string.Join(", ", linked)}; predicted: {string.Join(", ", ours)}");
            // ld.lld makes the hidden definitions local; the default-visibility one stays global.
            CollectionAssert.IsSubsetOf(new[] { "d bc_data", "t bc_function", "r bc_banner", "T bc_default", "r __asm_local" }, ours);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A relink compiles no stand-in again: one made from the same bitcode by the same command is kept.</summary>
    [TestMethod]
    public void StandIn_IsKeptForTheSameBitcodeAndCommand_AndMadeAgainOtherwise()
    {
        var dir = TestTemp.Directory("kbuild-bitcode-");
        try
        {
            File.WriteAllText(Path.Combine(dir, "bc.c"), BitcodeSource);
            Tool.RunChecked("clang-16", ["-O2", "-flto=thin", "-ffreestanding", "-fno-pie", "-c", "-o", "bc.o", "bc.c"], dir);
            var standIns = Path.Combine(dir, "stand-ins");
            string StandIn(string flags) => BitcodeStandIns.Substitute([Path.Combine(dir, "bc.o")], "ld.lld-16", flags, standIns)[0];
            DateTime Made(string path) => File.GetLastWriteTimeUtc(path);

            var first = StandIn("-m elf_x86_64");
            var made = Made(first);
            Assert.AreEqual(first, StandIn("-m elf_x86_64"));
            Assert.AreEqual(made, Made(first), "the same bitcode and command: kept");

            Assert.AreEqual(first, StandIn("-m elf_x86_64 -O1"));
            Assert.AreNotEqual(made, Made(first), "another command: made again");
            made = Made(first);

            File.WriteAllText(Path.Combine(dir, "bc.c"), BitcodeSource + "int bc_more = 3;\n");
            Tool.RunChecked("clang-16", ["-O2", "-flto=thin", "-ffreestanding", "-fno-pie", "-c", "-o", "bc.o", "bc.c"], dir);
            StandIn("-m elf_x86_64 -O1");
            Assert.AreNotEqual(made, Made(first), "other bitcode: made again");
            StringAssert.Contains(Tool.RunChecked("nm", [first]), "bc_more");

            // A stand-in without its key (a build killed in between) is never trusted.
            File.Delete(first + ".key");
            made = Made(first);
            StandIn("-m elf_x86_64 -O1");
            Assert.AreNotEqual(made, Made(first), "no key: made again");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("ld")]
    [DataRow("")]
    public void BitcodeWithAnotherLinkerIsNamedAsSuch(string linker)
    {
        var dir = TestTemp.Directory("kbuild-bitcode-");
        try
        {
            var bitcode = Path.Combine(dir, "bc.o");
            File.WriteAllBytes(bitcode, [(byte)'B', (byte)'C', 0xC0, 0xDE, 0x35, 0x14, 0, 0]);
            var e = Assert.ThrowsExactly<KbuildException>(() => BitcodeStandIns.Substitute([bitcode], linker, "", Path.Combine(dir, "out")));
            Assert.AreEqual(ErrorCodes.LlvmBitcodeInput, e.Code);
            StringAssert.Contains(e.Message, "ld.lld");
            Assert.IsFalse(Directory.Exists(Path.Combine(dir, "out")), "nothing written");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void DamagedBitcodeIsTheLinkersErrorWithItsCode()
    {
        var dir = TestTemp.Directory("kbuild-bitcode-");
        try
        {
            var bitcode = Path.Combine(dir, "bc.o");
            File.WriteAllBytes(bitcode, [(byte)'B', (byte)'C', 0xC0, 0xDE, 0x35, 0x14, 0, 0]);
            var e = Assert.ThrowsExactly<KbuildException>(() => BitcodeStandIns.Substitute([bitcode], "ld.lld-16", "", Path.Combine(dir, "out")));
            Assert.AreEqual(ErrorCodes.BitcodeStandInFailed, e.Code);
            StringAssert.Contains(e.Message, bitcode);
            Assert.AreEqual(0, Directory.GetFiles(Path.Combine(dir, "out")).Length, "no stand-in left behind");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<string> Nm(string file, string dir) =>
        Tool.RunChecked("nm", [file], dir).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).Where(p => p.Length == 3).Select(p => $"{p[1]} {p[2]}").Order(StringComparer.Ordinal).ToList();
}
