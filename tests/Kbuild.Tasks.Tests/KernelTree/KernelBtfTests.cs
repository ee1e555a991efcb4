using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.KernelTree;
using Kbuild.Kernel;

namespace Kbuild.Tests.KernelTree;

/// <summary>
/// KernelBtf against the kernel's own gen_btf: on a copy of the image make's link-vmlinux.sh generated BTF from
/// (6.12: .tmp_vmlinux1, 6.1: .tmp_vmlinux.btf; its .BTF removed again), our step gives the .BTF object make linked,
/// with the flags make computed (6.12: the fixture's KBUILD_BUILD_TIMESTAMP drops -j; 6.1: the fixture's PAHOLE_FLAGS
/// without it — either way pahole is deterministic).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class KernelBtfTests
{
    [TestMethod]
    [DataRow("6.1", ".tmp_vmlinux.btf", ".btf.vmlinux.bin.o")]
    [DataRow("6.12", ".tmp_vmlinux1", ".tmp_vmlinux1.btf.o")]
    public void GeneratedObjectIsMakesBtfObject(string version, string makesImage, string makesObject)
    {
        var build = KernelFixtures.BuildDir(version, "BTF");
        var kbuild = CaptureWithFixtureTimestamp(build, version);
        StringAssert.Contains(kbuild.Get("PAHOLE_FLAGS"), "--btf_gen_floats");
        Assert.IsFalse(ShellWords.UnquotedExpansion(kbuild.Get("PAHOLE_FLAGS")).Contains("-j"), "no -j: deterministic");

        var work = TestTemp.Directory("kbuild-btf-");
        try
        {
            var image = Path.Combine(work, "image");
            Tool.RunChecked("objcopy", ["--remove-section=.BTF", Path.Combine(build, makesImage), image]);
            var ours = Path.Combine(work, "btf.o");
            KernelBtf.Generate(kbuild, image, ours);

            var makes = Path.Combine(build, makesObject);
            CollectionAssert.AreEqual(Section(makes, work), Section(ours, work), ".BTF differs from make's");
            using var elf = ElfImage.Open(ours);
            Assert.AreEqual((ushort)1, elf.FileType, "ET_REL, as link-vmlinux.sh patches it");
            CollectionAssert.AreEqual(File.ReadAllBytes(makes), File.ReadAllBytes(ours), "the whole object is make's");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The check of BTF made from the link inputs: pahole on a relocatable object describes every function in it, also
    /// one in a section the linker script discards; the linked image lacks that one, and the check names it (KB0464).
    /// With a script that keeps the section, the same BTF passes.
    /// </summary>
    [TestMethod]
    public void BtfOfAFunctionTheLinkDiscardsIsCaughtByTheCheck()
    {
        var work = TestTemp.Directory("kbuild-btf-check-");
        try
        {
            File.WriteAllText(Path.Combine(work, "a.c"),
                "int kept(int x) { return x + 1; }\n" +
                "__attribute__((section(\".exit.discard\"), used)) int dropped(int x) { return x * 2; }\n" +
                "void _start(void) { kept(1); }\n");
            Tool.RunChecked("gcc", ["-g", "-O1", "-c", "-fno-pie", "a.c", "-o", "a.o"], work);
            Tool.RunChecked("ld", ["-r", "-o", "inputs.o", "a.o"], work);
            Tool.RunChecked("pahole", ["-J", "inputs.o"], work);
            Tool.RunChecked("objcopy", ["--only-section=.BTF", "--set-section-flags", ".BTF=alloc,readonly", "--strip-all", "inputs.o", "btf.o"], work);
            File.WriteAllText(Path.Combine(work, "discards.lds"), "SECTIONS { .text : { *(.text) } /DISCARD/ : { *(.exit.discard) } }\n");
            File.WriteAllText(Path.Combine(work, "keeps.lds"), "SECTIONS { .text : { *(.text) *(.exit.discard) } }\n");
            Tool.RunChecked("ld", ["-T", "discards.lds", "-o", "discards", "a.o"], work);
            Tool.RunChecked("ld", ["-T", "keeps.lds", "-o", "keeps", "a.o"], work);

            var btf = Path.Combine(work, "btf.o");
            KernelBtf.CheckAgainstImage(btf, Path.Combine(work, "keeps"), namesToo: true);
            var e = Assert.ThrowsExactly<KbuildException>(() => KernelBtf.CheckAgainstImage(btf, Path.Combine(work, "discards"), namesToo: true));
            Assert.AreEqual(ErrorCodes.KernelBtfNotTheImages, e.Code);
            Assert.AreEqual(btf, e.File);
            StringAssert.Contains(e.Message, "function dropped");
            StringAssert.Contains(e.Message, "KernelTreeBtfFrom=Image");
            Assert.IsFalse(e.Message.Contains("function kept"), e.Message);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// SMP kernels keep per-CPU variables in .data..percpu and its subsections (..page_aligned, ..read_mostly, …), which
    /// only the final link's script merges, and pahole encodes per-CPU variables from the section named .data..percpu
    /// alone. BTF of a plain relocatable link misses the subsections' variables, and the check against the linked image
    /// names them (KB0464); with the final script's .data..percpu statement in the relocatable link
    /// (<see cref="KernelBtf.RelocatableLinkScript"/>) the BTF passes the check and is, byte for byte, pahole's BTF of
    /// the linked image (link-vmlinux.sh's way).
    /// </summary>
    [TestMethod]
    public void PerCpuVariablesOfTheSubsectionsAreInTheBtfOfTheRelocatableLink()
    {
        var work = TestTemp.Directory("kbuild-btf-percpu-");
        File.WriteAllText(Path.Combine(work, "a.c"), """
            #define PERCPU(sub) __attribute__((section(".data..percpu" sub), used))
            PERCPU("..page_aligned") char page_aligned_var[4096] __attribute__((aligned(4096)));
            PERCPU("..read_mostly") int read_mostly_var = 1;
            PERCPU("") long plain_var = 2;
            PERCPU("..shared_aligned") int shared_var __attribute__((aligned(64))) = 3;
            int f(void) { return read_mostly_var + plain_var + shared_var + page_aligned_var[0]; }
            void _start(void) { f(); }
            """);
        Tool.RunChecked("gcc", ["-g", "-O1", "-c", "-fno-pie", "a.c", "-o", "a.o"], work);
        var lds = Path.Combine(work, "vmlinux.lds");
        File.WriteAllText(lds, """
            SECTIONS {
             .text : { *(.text) }
             . = ALIGN((1 << 12));
             .data..percpu : AT(ADDR(.data..percpu) - 0) { __per_cpu_start = .; . = ALIGN((1 << 12)); *(.data..percpu..page_aligned) . = ALIGN((1 << (6))); *(.data..percpu..read_mostly) . = ALIGN((1 << (6))); *(.data..percpu) *(.data..percpu..shared_aligned) __per_cpu_end = .; }
            }
            """);
        Tool.RunChecked("ld", ["-T", "vmlinux.lds", "-o", "image", "a.o"], work);
        string Btf(string input, string name)
        {
            Tool.RunChecked("pahole", ["-J", input], work);
            Tool.RunChecked("objcopy", ["--only-section=.BTF", "--set-section-flags", ".BTF=alloc,readonly", "--strip-all", input, name], work);
            return Path.Combine(work, name);
        }

        Tool.RunChecked("ld", ["-r", "-o", "plain.o", "a.o"], work);
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelBtf.CheckAgainstImage(Btf("plain.o", "plain-btf.o"), Path.Combine(work, "image"), namesToo: true));
        Assert.AreEqual(ErrorCodes.KernelBtfNotTheImages, e.Code);
        StringAssert.Contains(e.Message, "section .data..percpu");

        var script = KernelBtf.RelocatableLinkScript(lds)!;
        File.WriteAllText(Path.Combine(work, "btf.lds"), script);
        Tool.RunChecked("ld", ["-r", "-T", "btf.lds", "-o", "merged.o", "a.o"], work);
        var merged = Btf("merged.o", "merged-btf.o");
        KernelBtf.CheckAgainstImage(merged, Path.Combine(work, "image"), namesToo: true);
        Tool.RunChecked("cp", ["image", "linked"], work);
        CollectionAssert.AreEqual(Section(Btf("linked", "linked-btf.o"), work), Section(merged, work), "the BTF of the relocatable link is the linked image's");

        File.WriteAllText(Path.Combine(work, "up.lds"), "SECTIONS { .text : { *(.text) } .data : { *(.data .data.*) } }\n");
        Assert.IsNull(KernelBtf.RelocatableLinkScript(Path.Combine(work, "up.lds")), "a uniprocessor kernel's script has no per-CPU section");
        Directory.Delete(work, recursive: true);
    }

    internal static KernelTreeValues CaptureWithFixtureTimestamp(string build, string version)
    {
        var saved = Environment.GetEnvironmentVariable("KBUILD_BUILD_TIMESTAMP");
        Environment.SetEnvironmentVariable("KBUILD_BUILD_TIMESTAMP", KernelFixtures.BtfBuildTimestamp);
        try { return KernelTreeProbe.Capture(build, ShellWords.CommandLine(KernelFixtures.MakeVariables(version, "BTF"))); }
        finally { Environment.SetEnvironmentVariable("KBUILD_BUILD_TIMESTAMP", saved); }
    }

    private static byte[] Section(string elf, string work)
    {
        var output = Path.Combine(work, $"section-{Guid.NewGuid():N}");
        Tool.RunChecked("objcopy", ["--dump-section", $".BTF={output}", elf]);
        return File.ReadAllBytes(output);
    }
}
