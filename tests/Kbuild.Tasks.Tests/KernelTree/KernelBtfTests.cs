using Kbuild.Elf;
using Kbuild.KernelTree;

namespace Kbuild.Tests.KernelTree;

/// <summary>
/// KernelBtf against the kernel's own gen_btf: on a copy of the image make's link-vmlinux.sh generated BTF from
/// (.tmp_vmlinux1, its .BTF removed again), our step gives the .BTF object make linked (.tmp_vmlinux1.btf.o),
/// with the flags make computed (the fixture's KBUILD_BUILD_TIMESTAMP: no -j, deterministic).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class KernelBtfTests
{
    [TestMethod]
    [DataRow("6.12")]
    public void GeneratedObjectIsMakesBtfObject(string version)
    {
        var build = KernelFixtures.BuildDir(version, "BTF");
        var kbuild = CaptureWithFixtureTimestamp(build);
        StringAssert.Contains(kbuild.Get("PAHOLE_FLAGS"), "--btf_gen_floats");
        Assert.IsFalse(KbuildValues.Words(kbuild.Get("PAHOLE_FLAGS")).Contains("-j"), "KBUILD_BUILD_TIMESTAMP set: no -j");

        var work = TestTemp.Directory("kbuild-btf-");
        try
        {
            var image = Path.Combine(work, "image");
            Tool.RunChecked("objcopy", ["--remove-section=.BTF", Path.Combine(build, ".tmp_vmlinux1"), image]);
            var ours = Path.Combine(work, "btf.o");
            KernelBtf.Generate(kbuild, image, ours);

            var makes = Path.Combine(build, ".tmp_vmlinux1.btf.o");
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

    internal static KbuildValues CaptureWithFixtureTimestamp(string build)
    {
        var saved = Environment.GetEnvironmentVariable("KBUILD_BUILD_TIMESTAMP");
        Environment.SetEnvironmentVariable("KBUILD_BUILD_TIMESTAMP", KernelFixtures.BtfBuildTimestamp);
        try { return KbuildProbe.Capture(build); }
        finally { Environment.SetEnvironmentVariable("KBUILD_BUILD_TIMESTAMP", saved); }
    }

    private static byte[] Section(string elf, string work)
    {
        var output = Path.Combine(work, $"section-{Guid.NewGuid():N}");
        Tool.RunChecked("objcopy", ["--dump-section", $".BTF={output}", elf]);
        return File.ReadAllBytes(output);
    }
}
