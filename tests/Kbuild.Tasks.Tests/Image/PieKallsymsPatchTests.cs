using Kbuild.Kernel;
using Kbuild.Elf;
using Kbuild.Image;
using Kbuild.Symbols;
using Kbuild.Table;

namespace Kbuild.Tests.Image;

/// <summary>
/// arm64 kernels are linked as a PIE (arch/arm64/Makefile: <c>-shared -Bsymbolic -z notext</c>, with CONFIG_RELR
/// <c>--pack-dyn-relocs=relr</c>, else <c>--no-apply-dynamic-relocs</c>) and apply .relr.dyn/.rela.dyn at boot, so
/// the pointer kallsyms_relative_base is a dynamic relocation. On small aarch64 programs (clang-16) linked that way
/// by ld.lld-16 (LLVM=) and GNU ld (CROSS_COMPILE=aarch64-linux-gnu-: binutils 2.40 has no RELR for aarch64, so the
/// kernel's CONFIG_RELR is off): a reservation linked once and patched is, relocation for relocation and byte for
/// byte, the link of the real table's .S (what the kernel's last kallsyms pass links) — for each way the linker
/// can record the relocation; with GNU ld but for the name of the kallsyms object in one STT_FILE symbol.
/// </summary>
[TestClass]
public sealed class PieKallsymsPatchTests
{
    private const string Target = "--target=aarch64-linux-gnu";

    // arch/arm64/kernel/vmlinux.lds.S, shrunk: .rela.dyn and .relr.dyn kept in the image, the dynamic sections discarded.
    private const string Script = """
        ENTRY(_start)
        SECTIONS
        {
        	/DISCARD/ : { *(.interp .dynamic) *(.dynsym .dynstr .hash .gnu.hash) }
        	. = 0xffff800080000000;
        	.text : { _text = .; _stext = .; *(.text .text.*) _etext = .; }
        	. = ALIGN(0x1000);
        	.rodata : { *(.rodata .rodata.*) }
        	.rela.dyn : ALIGN(8) { *(.rela .rela*) }
        	.relr.dyn : ALIGN(8) { *(.relr.dyn) }
        	. = ALIGN(0x1000);
        	.init.text : { _sinittext = .; *(.init.text .init.text.*) _einittext = .; }
        	.data : { *(.data .data.*) }
        	.bss : { *(.bss .bss.*) *(COMMON) }
        	_end = .;
        }
        """;

    [TestMethod]
    [DataRow("ld.lld-16", "--pack-dyn-relocs=relr")]     // CONFIG_RELR: the value in place, the offset in .relr.dyn
    [DataRow("ld.lld-16", "--no-apply-dynamic-relocs")]  // the kernel's RELA choice: the value only in the .rela.dyn addend, 0 in place
    [DataRow("ld.lld-16", "--apply-dynamic-relocs")]     // the linker default: the value in both
    [DataRow("aarch64-linux-gnu-ld", "--no-apply-dynamic-relocs")]
    [DataRow("aarch64-linux-gnu-ld", "-z notext")]       // GNU ld's default (applied)
    public void PatchedPieImageIsTheLinkOfTheRealTable(string linker, string relocationStyle)
    {
        using var tree = new TempTree();
        string Compile(string name, string source)
        {
            var output = tree.PathOf(name);
            Tool.RunChecked("clang-16", [Target, "-O2", "-ffreestanding", "-fno-PIE", "-fno-stack-protector", "-fno-asynchronous-unwind-tables",
                "-c", "-o", output, tree.Write(name + ".c", source)], tree.Root);
            return output;
        }
        // Pointers in data (hooks, names) are dynamic relocations too, before and after the table's.
        var a = Compile("a.o", "int counter; static int helper(int x) { return x * 3 + counter; }\n" +
            "int util_add(int, int); int (*const hooks[])(int, int) = { util_add };\n" +
            "void _start(void) { counter = helper(hooks[0](1, 2)); for (;;) ; }");
        var b = Compile("b.o", "const char banner[] = \"pie\"; int table[16] = { 1 }; long jiffies_64;\n" +
            "int util_add(int x, int y) { return x + y; } const char *const names[] = { banner, banner + 1 };");
        var lds = tree.Write("pie.lds", Script);
        string[] flags = ["-EL", "-maarch64elf", "-z", "norelro", "--no-undefined", "-X", "-shared", "-Bsymbolic", "-z", "notext", .. relocationStyle.Split(' ')];
        var layout = KernelSeries.For("6.12").Kallsyms;
        var options = new KallsymsOptions { AllSymbols = true };
        var filter = SystemMapFilter.ForKernel("6.12");
        var target = new KallsymsTarget(ElfClass.Elf64, true);

        string Link(string name, string kallsymsObject)
        {
            var output = tree.PathOf(name);
            Tool.RunChecked(linker, new LinkerCommand { Output = output, LinkerScript = lds, Objects = [a, b], Flags = flags, KallsymsObject = kallsymsObject }.Arguments(), tree.Root);
            return output;
        }
        string AssembleObject(string name, string source)
        {
            var output = tree.PathOf(name + ".o");
            KallsymsObjectAssembler.Assemble("clang-16", Target, tree.Write(name + ".S", source), output);
            return output;
        }
        KallsymsTable TableOf(string image)
        {
            using var elf = ElfImage.Open(image);
            return KallsymsGenerator.Generate(filter.Symbols(elf), layout, options, target, image);
        }

        // A reservation exactly the size of the final table (what the prediction gives a kernel), linked once.
        var first = Link("vmlinux.first", AssembleObject("reserve-first", Reservation.Create(
            LinkPrediction.SystemMapSymbols([a, b], [], lds, layout.ArraySymbolNames(options.BaseRelative), !options.AllSymbols, filter), layout, options, target, new ReservationSlack(10, 64)).ToAssembly()));
        var reservation = Reservation.FromTable(TableOf(first), ReservationSlack.None);
        var unpatched = Link("vmlinux.unpatched", AssembleObject("reserve", reservation.ToAssembly()));
        var patched = tree.PathOf("vmlinux");
        var plan = KallsymsPatcher.Run(new KallsymsPatchRequest(unpatched, KallsymsRules.For("6.12", options), reservation.Rooms, patched)
        {
            LinkerFlags = flags,
        }).Plan;
        Assert.IsTrue(plan.IsExact, plan.DescribeMismatch());

        // The kernel's way: the real table assembled and linked in.
        var kernels = Link("vmlinux.kernels", AssembleObject("kallsyms", KallsymsAssembly.ToText(plan.Table)));
        var relocations = Tool.RunChecked("llvm-readelf-16", ["-rW", "--raw-relr", kernels]).Replace(kernels, "IMAGE");
        StringAssert.Contains(relocations, relocationStyle == "--pack-dyn-relocs=relr" ? ".relr.dyn" : "R_AARCH64_RELATIVE");
        Assert.AreEqual(relocations, Tool.RunChecked("llvm-readelf-16", ["-rW", "--raw-relr", patched]).Replace(patched, "IMAGE"));
        if (linker == "ld.lld-16")
        {
            Assert.IsNull(ImageDiff.FirstDifference(kernels, patched));
            return;
        }
        // GNU ld names each input with local symbols (the kallsyms object's $d mapping symbol) in an STT_FILE symbol:
        // the kernel's ".tmp_vmlinux2.kallsyms.o" is our reservation's name. Everything the kernel loads is the same.
        string Loaded(string image)
        {
            Tool.RunChecked("aarch64-linux-gnu-objcopy", ["-O", "binary", image, image + ".bin"], tree.Root);
            return image + ".bin";
        }
        Assert.IsNull(ImageDiff.FirstDifference(Loaded(kernels), Loaded(patched)), "the loaded image differs");
        string Symbols(string image, string kallsymsObject) =>
            Tool.RunChecked("llvm-readelf-16", ["-sW", image]).Replace(image, "IMAGE").Replace(Path.GetFileName(kallsymsObject), "KALLSYMS.o");
        Assert.AreEqual(Symbols(kernels, "kallsyms.o"), Symbols(patched, "reserve.o"));
    }
}
