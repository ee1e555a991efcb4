using System.Text;
using Kbuild.Elf;
using Kbuild.Symbols;

namespace Kbuild.Tests.Symbols;

/// <summary>Our nm emulation against the real `LC_ALL=C nm -n` on files built by as/gcc/ld.</summary>
[TestClass]
public sealed class NmReaderTests
{
    /// <summary>One symbol of every kind nm distinguishes, plus ties at one address to check the order.</summary>
    private const string EveryLetter = """
        .text
        .globl gtext
    gtext: nop
    ltext: nop
        .weak wfunc
        .type wfunc,@function
    wfunc: nop
        .weak wnotype
    wnotype: nop
        .type ifn,@gnu_indirect_function
        .globl ifn
    ifn: nop
        .type lifn,@gnu_indirect_function
    lifn: nop
        .weak wifn
        .type wifn,@gnu_indirect_function
    wifn: nop
    zeta: alpha: Beta: _under: a_b: "has space": nop
        .long undef_ref, weak_undef, weak_undef_obj, undef_obj
        .weak weak_undef
        .weak weak_undef_obj
        .type weak_undef_obj,@object
        .type undef_obj,@object
        .data
        .globl gdata
    gdata: .long 1
    ldata: .long 2
        .weak wobj
        .type wobj,@object
    wobj: .long 3
        .type uobj,@gnu_unique_object
        .globl uobj
    uobj: .long 4
        .section .rodata
        .globl grodata
    grodata: .long 5
        .bss
        .globl gbss
    gbss: .zero 4
    lbss: .zero 4
        .comm gcommon,24,8
        .lcomm lcommon,16
        .globl gabs
        .set gabs, 0x1234
        .set labs, 0xffffffff81000000
        .weak wabs
        .set wabs, 0x42
        .section .tdata,"awT",@progbits
        .globl gtls
        .type gtls,@tls_object
    gtls: .long 1
        .section .tbss,"awT",@nobits
        .type ltbss,@tls_object
    ltbss: .zero 4
        .section .debug_foo,"",@progbits
    dbg: .long 0
        .section .debugx,"",@progbits
    dbgx: .long 0
        .section .line.foo,"",@progbits
    linesym: .long 0
        .section .comment2,"",@progbits
    ncomment: .long 0
        .section .mywritable,"w",@progbits
    qsym: .long 0
        .section .myro,"a",@progbits
        .globl myro
    myro: .long 0
        .section .mydata,"aw",@progbits
    mydata: .long 0
        .section .mybss,"aw",@nobits
    mybss: .zero 4
        .section .myexec,"ax",@progbits
    myexec: nop
        .section .sdata,"aw",@progbits
    sdatasym: .long 0
        .section .sbss,"aw",@nobits
    sbsssym: .zero 4
        .section vars,"a",@progbits
    varssym: .long 0
        .section zerovars,"a",@progbits
    zerovarssym: .long 0
        .section code,"a",@progbits
    codesym: .long 0
        .section .textfoo,"a",@progbits
    textfoosym: .long 0
        .section .text.hot,"a",@progbits
    texthotsym: .long 0
        .section .data1,"a",@progbits
    data1sym: .long 0
        .section .data$x,"a",@progbits
    datadollarsym: .long 0
        .section .rodatax,"aw",@progbits
    rodataxsym: .long 0
        .section .edata,"a",@progbits
    edatasym: .long 0
        .section .idata,"a",@progbits
    idatasym: .long 0
        .section .pdata,"a",@progbits
    pdatasym: .long 0
        .section .init,"a",@progbits
    initsym: .long 0
        .section .fini.x,"a",@progbits
    finisym: .long 0
        .section .rdata,"aw",@progbits
    rdatasym: .long 0
        .section "*DEBUG*","a",@progbits
    starsym: .long 0
        .section .rodata.w,"aw",@progbits
    rodatawsym: .long 0
        .section .data.ro,"a",@progbits
    dataro: .long 0
        .section .idata$2,"a",@progbits
    idata2sym: .long 0
        .section .idatax,"a",@progbits
    idataxsym: .long 0
        .section .drectve,"a",@progbits
    drectvesym: .long 0
        .section .data..percpu,"aw",@progbits
        .globl percpu_var
    percpu_var: .long 0

    """;

    [TestMethod]
    public void EveryTypeLetterMatchesNm64()
    {
        using var tree = new TempTree();
        NmOracle.AssertSameAsNm(tree.Assemble("every.o", EveryLetter));
    }

    [TestMethod]
    public void EveryTypeLetterMatchesNm32()
    {
        using var tree = new TempTree();
        var source = EveryLetter.Replace("0xffffffff81000000", "0x81000000");
        NmOracle.AssertSameAsNm(tree.Assemble("every32.o", source, "as", "--32"));
    }

    [TestMethod]
    public void LocalLabelsKeptByAsMinusLMatchNm()
    {
        using var tree = new TempTree();
        NmOracle.AssertSameAsNm(tree.Assemble("locals.o", ".text\n.Lone: nop\n.Ltwo: nop\nx: jmp .Lone\n", "as", "-L"));
    }

    [TestMethod]
    public void CompiledCMatchesNmIncludingDebugInfo()
    {
        using var tree = new TempTree();
        const string c = """
            int common_var;
            static int local_bss;
            int data_var = 1;
            const int ro_var = 2;
            __attribute__((weak)) int weak_var = 3;
            __attribute__((weak)) void weak_fn(void) {}
            extern int undef_var;
            extern __attribute__((weak)) int weak_undef_var;
            __thread int tls_var = 4;
            static __thread int tls_bss;
            static void *resolve(void) { return 0; }
            void ifn(void) __attribute__((ifunc("resolve")));
            static int café = 5;
            int use(void) { (void)café; static int counter; return undef_var + local_bss + weak_undef_var + tls_bss + counter++; }
            """;
        NmOracle.AssertSameAsNm(tree.Compile("c.o", c, "-fcommon", "-g", "-O1"));
        NmOracle.AssertSameAsNm(tree.Compile("c32.o", c, "-fcommon", "-g", "-m32"));
    }

    [TestMethod]
    public void LinkedExecutablesMatchNm()
    {
        using var tree = new TempTree();
        tree.Write("main.c", """
            #include <stdio.h>
            int counter;
            static int hidden(int x) { return x * 2; }
            int main(void) { printf("%d\n", hidden(counter)); return 0; }
            """);
        tree.Run("gcc", "-O1", "-o", "dynamic", "main.c");
        tree.Run("gcc", "-O1", "-static", "-o", "static", "main.c");
        tree.Run("gcc", "-O1", "-m32", "-o", "dynamic32", "main.c");
        tree.Run("gcc", "-O1", "-shared", "-fPIC", "-o", "lib.so", "main.c");
        foreach (var file in new[] { "dynamic", "static", "dynamic32", "lib.so" })
            NmOracle.AssertSameAsNm(tree.PathOf(file));
    }

    [TestMethod]
    public void RelocatableLinkKeepsTableOrderForEqualValueAndName()
    {
        using var tree = new TempTree();
        // Each object has "dup" at offset 0 of its own section; ld -r keeps them all as locals at value 0.
        tree.Compile("a.o", "static int dup = 1; int *pa = &dup;");
        tree.Compile("b.o", "static int dup; int *pb = &dup;");
        tree.Compile("c.o", "static const int dup = 3; const int *pc = &dup;");
        tree.Run("ld", "-r", "-o", "abc.o", "c.o", "a.o", "b.o");
        NmOracle.AssertSameAsNm(tree.PathOf("abc.o"));
    }

    [TestMethod]
    public void RelocatableWithSectionAddressesAddsThem()
    {
        using var tree = new TempTree();
        tree.Assemble("s.o", ".text\nf: nop\ng: nop\n.data\nd: .long 1\n");
        tree.Write("r.lds", "SECTIONS { .text 0x1000 : { *(.text) } .data 0x2000 : { *(.data) } }");
        tree.Run("ld", "-r", "-T", "r.lds", "-o", "r.o", "s.o");
        NmOracle.AssertSameAsNm(tree.PathOf("r.o"));
    }

    [TestMethod]
    public void MoreThan65280SectionsUseExtendedNumberingAndXindex()
    {
        using var tree = new TempTree();
        var source = new StringBuilder();
        for (int i = 0; i < 70_000; i++)
            source.Append(".section .text.f").Append(i).Append(",\"ax\",@progbits\n.globl f").Append(i).Append("\nf").Append(i)
                .Append(": nop\n");
        source.Append(".section .data.last,\"aw\",@progbits\nlast_local: .long 0\n");
        var obj = tree.Assemble("many.o", source.ToString());
        using (var image = ElfImage.Open(obj))
        {
            Assert.IsGreaterThan(70_000, image.Sections.Count);
            Assert.IsNotNull(image.Sections.FirstOrDefault(s => s.Type == ElfSection.SHT_SYMTAB_SHNDX));
            var last = image.ReadSymbols().Single(s => s.Name == "last_local");
            Assert.AreEqual(".data.last", image.Sections[(int)last.SectionIndex].Name);
        }
        NmOracle.AssertSameAsNm(obj);
    }

    [TestMethod]
    public void BigEndianObjectsMatchNm()
    {
        using var tree = new TempTree();
        const string source = """
            .text
            .globl f
        f: nop
        l: nop
            .data
        d: .long 1
            .globl g
        g: .long 2
            .weak w
        w: .long 3
            .comm c,12,4
            .long undef
            .set a, 0x1234
        """;
        NmOracle.AssertSameAsNm(tree.Assemble("be32.o", source, "powerpc-linux-gnu-as"));
        NmOracle.AssertSameAsNm(tree.Assemble("be64.o", source, "powerpc-linux-gnu-as", "-a64"));
    }

    [TestMethod]
    public void TableOrderReadMatchesNmNoSort()
    {
        using var tree = new TempTree();
        var obj = tree.Assemble("every.o", EveryLetter);
        using var image = ElfImage.Open(obj);
        Assert.AreEqual(NmOracle.Nm("-p", obj), NmOracle.Format(NmReader.Read(image), image.Class));
    }
}
