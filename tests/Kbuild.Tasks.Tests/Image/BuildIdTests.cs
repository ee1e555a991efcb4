using Kbuild.Elf;
using Kbuild.Image;

namespace Kbuild.Tests.Image;

/// <summary>
/// BuildId against the linkers themselves: for many real links (GNU ld 2.40 and ld.lld-16; sha1 and md5; static,
/// shared, PIE, --emit-relocs, 32-bit) the recomputed ID equals the one the linker wrote; after the descriptor is
/// scrambled, Update writes the linker's ID back.
/// </summary>
[TestClass]
public sealed class BuildIdTests
{
    private static string? _dir;

    private static string Dir => _dir ??= Objects();

    private static string Objects()
    {
        var dir = TestTemp.Directory("kbuild-buildid-");
        File.WriteAllText(Path.Combine(dir, "a.c"),
            "int x = 5; static int y[100]; const char s[] = \"hello\";\n" +
            "int f(int a) { return a + x + y[a] + s[a]; }\nvoid _start(void) { f(3); for (;;); }\n" +
            // Over a MiB of .rodata: ld.lld hashes in 1 MiB chunks.
            "const char big[3 << 19] = { 1, 2, 3 };\nconst char *g(int i) { return &big[i]; }\n");
        File.WriteAllText(Path.Combine(dir, "b.s"), ".globl _start\n.text\n_start: jmp _start\n.data\n.long _start\n");
        Tool.RunChecked("gcc", ["-O2", "-ffreestanding", "-fPIC", "-c", "a.c", "-o", "a.o"], dir);
        Tool.RunChecked("as", ["--32", "b.s", "-o", "b32.o"], dir);
        return dir;
    }

    private static string Link(string linker, string output, params string[] args)
    {
        var path = Path.Combine(Dir, output);
        Tool.RunChecked(linker, [.. args, "-o", path], Dir);
        return path;
    }

    [TestMethod]
    [DataRow("ld.bfd", "sha1", "a.o")]
    [DataRow("ld.bfd", "md5", "a.o")]
    [DataRow("ld.bfd", "sha1", "--emit-relocs", "a.o")]
    [DataRow("ld.bfd", "sha1", "-shared", "a.o")]
    [DataRow("ld.bfd", "sha1", "-pie", "a.o")]
    [DataRow("ld.bfd", "sha1", "-m", "elf_i386", "b32.o")]
    [DataRow("ld.bfd", "md5", "--strip-all", "a.o")]
    [DataRow("ld.lld-16", "sha1", "a.o")]
    [DataRow("ld.lld-16", "md5", "a.o")]
    [DataRow("ld.lld-16", "sha1", "--emit-relocs", "a.o")]
    [DataRow("ld.lld-16", "sha1", "-shared", "a.o")]
    [DataRow("ld.lld-16", "md5", "-m", "elf_i386", "b32.o")]
    public void RecomputedIdIsTheLinkersOwn(string linker, string hash, params string[] args)
    {
        var output = Link(linker, $"{linker}-{hash}-{string.Join('_', args)}.out", [$"--build-id={hash}", .. args]);
        AssertRecomputes(output, linker.Contains("lld") ? BuildIdLinker.Lld : BuildIdLinker.GnuLd,
            hash == "sha1" ? BuildIdHash.Sha1 : BuildIdHash.Md5);
    }

    /// <summary>
    /// link-vmlinux.sh's temporary links stay in the build dir untouched after ld wrote them (make's vmlinux itself
    /// went through sorttable afterwards, which ld's ID does not cover): each must recompute to its own ID.
    /// </summary>
    [TestMethod]
    [DataRow("6.1", "A"), DataRow("6.12", "A"), DataRow("6.1", "B"), DataRow("6.12", "B")]
    public void KernelsTemporaryLinksRecompute(string version, string config)
    {
        var build = KernelFixtures.BuildDir(version, config);
        // 6.1: .tmp_vmlinux.kallsyms1, 2; 6.12: .tmp_vmlinux1, 2 (beside them: .S, .o, .syms, nm output).
        var links = Directory.GetFiles(build, ".tmp_vmlinux*")
            .Where(f => System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(f), @"^\.tmp_vmlinux(\.kallsyms)?[0-9]+$")).ToList();
        Assert.IsNotEmpty(links, $"no .tmp_vmlinux* links in {build}");
        foreach (var link in links)
        {
            var copy = Path.Combine(Dir, $"{version}-{config}{Path.GetFileName(link)}");
            File.Copy(link, copy, overwrite: true);
            AssertRecomputes(copy, BuildIdLinker.GnuLd, BuildIdHash.Sha1);
        }
    }

    [TestMethod]
    public void HashFollowsTheLastBuildIdFlag()
    {
        Assert.AreEqual(BuildIdHash.Sha1, BuildId.HashFromFlags(["-z", "max-page-size=0x200000", "--build-id=sha1"], BuildIdLinker.GnuLd));
        Assert.AreEqual(BuildIdHash.Md5, BuildId.HashFromFlags(["--build-id=sha1", "--build-id=md5"], BuildIdLinker.Lld));
        Assert.AreEqual(BuildIdHash.Sha1, BuildId.HashFromFlags(["--build-id"], BuildIdLinker.GnuLd));
        Assert.IsNull(BuildId.HashFromFlags(["--build-id"], BuildIdLinker.Lld), "lld's bare --build-id is xxhash (fast)");
        Assert.IsNull(BuildId.HashFromFlags(["--build-id=uuid"], BuildIdLinker.GnuLd));
        Assert.IsNull(BuildId.HashFromFlags(["--build-id=0x1234"], BuildIdLinker.GnuLd));
        Assert.IsNull(BuildId.HashFromFlags(["--build-id=sha1", "--build-id=none"], BuildIdLinker.GnuLd));
        Assert.IsNull(BuildId.HashFromFlags([], BuildIdLinker.GnuLd));
    }

    private static void AssertRecomputes(string output, BuildIdLinker linker, BuildIdHash hash)
    {
        byte[] written;
        using (var image = ElfImage.Open(output))
        {
            Assert.AreEqual(linker, BuildId.LinkerOf(image), "linker detected from .comment");
            var note = BuildId.Find(image) ?? throw new AssertFailedException("no build ID note");
            written = image.ReadBytes(note.DescriptorOffset, note.DescriptorSize);
            CollectionAssert.AreEqual(written, BuildId.Compute(image, note, linker, hash), Convert.ToHexString(written));
            // Scramble the descriptor: the recomputation must not depend on what is there.
            using var file = File.OpenHandle(output, FileMode.Open, FileAccess.ReadWrite);
            RandomAccess.Write(file, Enumerable.Repeat((byte)0xA5, note.DescriptorSize).ToArray(), note.DescriptorOffset);
        }
        var (old, fresh) = BuildId.Update(output, hash) ?? throw new AssertFailedException("no note to update");
        Assert.IsTrue(old.All(b => b == 0xA5));
        CollectionAssert.AreEqual(written, fresh);
    }
}
