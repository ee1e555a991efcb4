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

    internal static KbuildValues CaptureWithFixtureTimestamp(string build, string version)
    {
        var saved = Environment.GetEnvironmentVariable("KBUILD_BUILD_TIMESTAMP");
        Environment.SetEnvironmentVariable("KBUILD_BUILD_TIMESTAMP", KernelFixtures.BtfBuildTimestamp);
        try { return KbuildProbe.Capture(build, ShellWords.CommandLine(KernelFixtures.MakeVariables(version, "BTF"))); }
        finally { Environment.SetEnvironmentVariable("KBUILD_BUILD_TIMESTAMP", saved); }
    }

    private static byte[] Section(string elf, string work)
    {
        var output = Path.Combine(work, $"section-{Guid.NewGuid():N}");
        Tool.RunChecked("objcopy", ["--dump-section", $".BTF={output}", elf]);
        return File.ReadAllBytes(output);
    }
}
