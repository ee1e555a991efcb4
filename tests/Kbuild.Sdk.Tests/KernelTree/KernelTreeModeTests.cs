using Kbuild.Kernel;
using System.Diagnostics;
using Kbuild.Elf;
using Kbuild.Symbols;
using Kbuild.Table;
using Kbuild.KernelTree;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests.KernelTree;

/// <summary>
/// Kernel-tree mode end to end on real kernels: a kernel.kproj naming the build directory, built through
/// MSBuild; the result is checked against the kernel's own tools (mksysmap, scripts/kallsyms), the
/// kernel's make (bzImage from our vmlinux) and QEMU boots. Our links are counted from the build's own
/// events; the kernel's make runs with a logging ld wrapper first on PATH, so a relink by make would show.
/// A and B fixtures are link inputs only (the output goes to a temp dir); K fixtures are linked in place.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class KernelTreeModeTests
{
    [TestMethod]
    [DataRow("6.1", "A")]
    [DataRow("6.12", "A")]
    [DataRow("7.2", "A")]
    [DataRow("7.3", "A")]
    [DataRow("6.1", "B")]
    [DataRow("6.12", "B")]
    [DataRow("6.1", "T")]
    [DataRow("6.12", "T")]
    public void OneLinkGivesTheKernelToolsMapAndTableAndBoots(string version, string config)
    {
        using var work = new Work(KernelFixtures.BuildDir(version, config), version, inPlace: false);
        var outcome = work.Build();
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        Assert.AreEqual(1, outcome.ExecutedTasks.Count(t => t == "LinkVmlinux"), "one final link");

        // The very file make linked in this build dir (make found nothing to rebuild, so the inputs are the ones its own
        // link used): same bytes — layout, table, build ID, post-link steps — and the same System.map. The arch
        // postlink (x86 on 6.12) works on the build dir's own vmlinux, so an image linked elsewhere skips it: there
        // the in-place test (K) is the proof — unless it has nothing to do (x86's acts only with CONFIG_X86_NEED_RELOCS).
        // On 7.x the link's image is vmlinux.unstripped; vmlinux is made from it after the link.
        var build = KernelFixtures.BuildDir(version, config);
        if (KernelTreeProbe.Load(work.Build_, work.ValuesCache).ArchPostLink.Length == 0
            || !File.ReadLines(Path.Combine(build, "include", "config", "auto.conf")).Contains("CONFIG_X86_NEED_RELOCS=y"))
            Assert.IsNull(ImageDiff.FirstDifference(Path.Combine(build, KernelSeries.For(version).Link.LinkedImage), work.Vmlinux));
        Assert.IsNull(ImageDiff.FirstDifference(Path.Combine(build, "System.map"), work.SystemMap));
        // Tools that read stripped images (vmlinux-to-elf) find our table by its shape. The finder knows the base-relative
        // tables of 6.x; a 7.x image is make's byte for byte (above), which says the same.
        if (KernelSeries.For(version).Kallsyms.Offsets != KallsymsOffsets.PcRelativeSwitch) KallsymsShapeFinder.AssertFindsTable(work.Vmlinux);

        // System.map is the kernel's mksysmap of our vmlinux.
        Assert.AreEqual(KernelMksysmap(version, work.Vmlinux, work.Dir), File.ReadAllText(work.SystemMap));
        // Each array is what the kernel's scripts/kallsyms makes of that System.map.
        AssertTableIsKernelKallsymsOutput(version, work);
        // The booted kernel lists exactly what that table holds.
        var booted = QemuBoot.Kallsyms(work.Vmlinux);
        CollectionAssert.AreEquivalent(Decode(work), booted.ToList());
    }

    /// <summary>Slack (for fewer relinks) pads the arrays apart: still a correct kernel, but no longer make's image, and
    /// a shape-based finder (the way vmlinux-to-elf reads stripped images) no longer finds the table — which is why
    /// slack is off by default. Also shows that the finder tells the two apart.</summary>
    [TestMethod]
    public void SlackMovesTheArraysApartAndShapeFindersLoseTheTable()
    {
        using var work = new Work(KernelFixtures.BuildDir("6.1", "A"), "6.1", inPlace: false,
            extraBody: "<PropertyGroup><KallsymsSlackPercent>5</KallsymsSlackPercent></PropertyGroup>");
        var outcome = work.Build();
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        AssertTableIsKernelKallsymsOutput("6.1", work);
        Assert.IsNotNull(ImageDiff.FirstDifference(Path.Combine(KernelFixtures.BuildDir("6.1", "A"), "vmlinux"), work.Vmlinux));
        var (table, _) = KallsymsShapeFinder.Find(File.ReadAllBytes(work.Vmlinux));
        Assert.IsNull(table, "a finder that accepts padded arrays proves nothing about ours");
    }

    /// <summary>CONFIG_DEBUG_INFO_BTF: by default one vmlinux link (pahole on a relocatable link of the link inputs), with
    /// KernelTreeBtfFrom=Image link-vmlinux.sh's BTF link and the final link; either way .BTF and .BTF_ids are make's,
    /// byte for byte (the fixture and this build share KBUILD_BUILD_TIMESTAMP, so 6.12's PAHOLE_FLAGS have no -j, and
    /// 6.1's make variables, which give its PAHOLE_FLAGS without -j: pahole is deterministic), and so is the whole
    /// vmlinux where no arch postlink rewrites it (6.1). Linked in place (6.12), where the arch postlink is ours too, the
    /// whole vmlinux, System.map and vmlinux.relocs are make's, and make relinks nothing. The booted kernel exports that BTF.</summary>
    [TestMethod]
    [DataRow("6.1", "LinkInputs", 1, false)]
    [DataRow("6.12", "LinkInputs", 1, false)]
    [DataRow("6.12", "Image", 2, false)]
    [DataRow("6.12", "LinkInputs", 1, true)]
    public void BtfKernelGetsMakesBtf(string version, string btfFrom, int vmlinuxLinks, bool inPlace)
    {
        var build = KernelFixtures.BuildDir(version, "BTF");
        using var work = new Work(build, version, inPlace, KernelFixtures.MakeVariables(version, "BTF"),
            extraBody: $"<PropertyGroup><KernelTreeBtfFrom>{btfFrom}</KernelTreeBtfFrom></PropertyGroup>");
        work.Environment["KBUILD_BUILD_TIMESTAMP"] = KernelFixtures.BtfBuildTimestamp;
        string[] makesFiles = ["vmlinux", "System.map", "arch/x86/boot/compressed/vmlinux.relocs"];
        using var makes = inPlace ? new MakesOutputs(build, Path.Combine(work.Dir, "make"), [.. makesFiles, ".vmlinux.cmd"]) : null;
        var kernels = makes?.Saved("vmlinux") ?? Path.Combine(build, "vmlinux");
        var outcome = work.Build();
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        // LinkInputs: the relocatable link (-r) and the final link; Image: the BTF link and the final link.
        Assert.AreEqual(2, outcome.ExecutedTasks.Count(t => t == "LinkVmlinux"), outcome.ToString());
        Assert.AreEqual(vmlinuxLinks, work.SdkLinks().Count(args => !$" {args} ".Contains(" -r ", StringComparison.Ordinal)), "vmlinux links");
        Assert.AreEqual(1, outcome.ExecutedTasks.Count(t => t == "ResolveKernelBtfIds"));
        // The summary counts the vmlinux links (not the relocatable one) and times the BTF step.
        StringAssert.Matches(outcome.ToString(), new System.Text.RegularExpressions.Regex(
            $@"Kbuild\.Sdk: {vmlinuxLinks} links?; kallsyms table [^;]*; reservation \d+\.\d\d s, BTF \d+\.\d\d s, link \d+\.\d\d s"));
        if (makes is not null)
            foreach (var f in makesFiles.Where(f => File.Exists(makes.Saved(f))))
                Assert.IsNull(ImageDiff.FirstDifference(makes.Saved(f), Path.Combine(build, f)));
        else if (KernelTreeProbe.Load(work.Build_, work.ValuesCache).ArchPostLink.Length == 0)
            Assert.IsNull(ImageDiff.FirstDifference(kernels, work.Vmlinux));

        var btf = Section(work.Vmlinux, ".BTF", work.Dir);
        Assert.IsTrue(btf.Length > 1000, $".BTF has {btf.Length} bytes");
        CollectionAssert.AreEqual(Section(kernels, ".BTF", work.Dir), btf, ".BTF differs from make's");
        CollectionAssert.AreEqual(Section(kernels, ".BTF_ids", work.Dir), Section(work.Vmlinux, ".BTF_ids", work.Dir), ".BTF_ids differs from make's");
        Assert.AreEqual(KernelMksysmap(version, work.Vmlinux, work.Dir), File.ReadAllText(work.SystemMap));
        AssertTableIsKernelKallsymsOutput(version, work);

        var (booted, btfSize) = QemuBoot.Boot(work.Vmlinux);
        CollectionAssert.AreEquivalent(Decode(work), booted.ToList());
        Assert.AreEqual((long)btf.Length, btfSize, "/sys/kernel/btf/vmlinux");

        // Nothing changed: neither link runs again.
        var second = work.Build();
        Assert.IsTrue(second.Succeeded, second.ToString());
        Assert.IsFalse(second.RanTask("LinkVmlinux"), second.ToString());
        Assert.IsFalse(second.RanTask("GenerateKernelBtf"), second.ToString());
        StringAssert.Contains(second.ToString(), "Kbuild.Sdk: 0 links; reservation up to date, BTF up to date, link up to date");
        if (!inPlace) return;

        // The kernel's make takes our vmlinux as its own.
        work.ClearLinkLog();
        Tool.RunChecked("make", ["-C", build, "-s", "-j2", .. Kbuild.Kernel.ShellWords.CommandLine(KernelFixtures.MakeVariables(version, "BTF")), "vmlinux"],
            environment: work.Environment);
        Assert.AreEqual(0, work.FinalLinks().Count, "make relinked vmlinux: " + string.Join('\n', work.FinalLinks()));
    }

    /// <summary>
    /// arm64 (fixture arm64: ARCH=arm64 LLVM=-16; arm64gcc: CROSS_COMPILE=aarch64-linux-gnu-, gcc and GNU ld): a -pie image whose .relr.dyn/.rela.dyn the kernel applies at boot,
    /// kallsyms_relative_base among them. One link; its dynamic relocations and every byte are those of the vmlinux
    /// make linked in the same build dir; System.map is the kernel's mksysmap (with the kernel's NM), the arrays its
    /// scripts/kallsyms. The Image make's own command makes of our vmlinux is make's Image and boots on QEMU's virt
    /// machine listing exactly the table: with nokaslr at the link addresses, and with KASLR (virt's kaslr-seed)
    /// every symbol moved by one offset — the relocation of kallsyms_relative_base was applied.
    /// </summary>
    [TestMethod]
    [DataRow("6.1", "arm64")]
    [DataRow("6.12", "arm64")]
    [DataRow("6.12", "arm64gcc")]
    public void Arm64IsMakesVmlinuxAndItsImageBootsWithAndWithoutKaslr(string version, string config)
    {
        var build = KernelFixtures.BuildDir(version, config);
        using var work = new Work(build, version, inPlace: false, KernelFixtures.MakeVariables(version, config));
        var outcome = work.Build();
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        // One link: the prediction knows the linker's -shared link (hidden names local, the sections the linker makes
        // itself), so the reservation is exact and nothing relinks.
        Assert.AreEqual(1, outcome.ExecutedTasks.Count(t => t == "LinkVmlinux"), "one final link");
        Assert.IsFalse(outcome.Warnings.Any(w => w.Code is "KB0309" or "KB0380"), outcome.ToString());

        var kbuild = KernelTreeProbe.Load(work.Build_, work.ValuesCache);
        Assert.AreEqual("", kbuild.ArchPostLink, "arm64 has no Makefile.postlink on this kernel");
        var makes = Path.Combine(build, "vmlinux");
        Assert.AreEqual(Relocations(makes), Relocations(work.Vmlinux), "dynamic relocations differ from make's vmlinux");
        Assert.IsNull(ImageDiff.FirstDifference(makes, work.Vmlinux));
        // The finder reads kallsyms_relative_base from its slot, which GNU ld leaves zero for the RELA the kernel
        // applies at boot (in make's vmlinux as in ours).
        if (config == "arm64") KallsymsShapeFinder.AssertFindsTable(work.Vmlinux);
        Assert.IsNull(ImageDiff.FirstDifference(Path.Combine(build, "System.map"), work.SystemMap));
        Assert.AreEqual(KernelMksysmap(version, work.Vmlinux, work.Dir, kbuild.Get("NM")), File.ReadAllText(work.SystemMap));
        AssertTableIsKernelKallsymsOutput(version, work);

        var image = MakeArm64Image(build, work.Vmlinux, work.Dir);
        Assert.IsNull(ImageDiff.FirstDifference(Path.Combine(build, "arch", "arm64", "boot", "Image"), image));
        var table = Decode(work);
        CollectionAssert.AreEquivalent(table, QemuBoot.Kallsyms(image, "nokaslr").ToList(), "nokaslr");

        var booted = QemuBoot.Kallsyms(image);
        var delta = booted.Single(s => s.Name == "_text").Address - table.Single(s => s.Name == "_text").Address;
        Assert.AreNotEqual(0UL, delta, "KASLR should have moved the kernel (QEMU's virt machine passes a kaslr-seed)");
        CollectionAssert.AreEquivalent(table, booted.Select(s => s with { Address = s.Address - delta }).ToList(), "KASLR: one offset for all");

        // Nothing changed: no link.
        var second = work.Build();
        Assert.IsTrue(second.Succeeded, second.ToString());
        Assert.IsFalse(second.RanTask("LinkVmlinux"), second.ToString());
    }

    /// <summary>arch/arm64/boot/Image of <paramref name="vmlinux"/> by the command make saved for the build dir's own
    /// (arch/arm64/boot/.Image.cmd: "$(OBJCOPY) -O binary -R .note … vmlinux arch/arm64/boot/Image").</summary>
    private static string MakeArm64Image(string build, string vmlinux, string dir)
    {
        var saved = File.ReadLines(Path.Combine(build, "arch", "arm64", "boot", ".Image.cmd")).First().Split(" := ", 2)[1];
        var image = Path.Combine(dir, "Image");
        var words = saved.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w switch { "vmlinux" => vmlinux, "arch/arm64/boot/Image" => image, _ => w }).ToList();
        Assert.IsTrue(words.Contains(vmlinux) && words.Contains(image), saved);
        Tool.RunChecked(words[0], words.Skip(1), build);
        return image;
    }

    private static string Relocations(string elf) =>
        string.Join('\n', Tool.RunChecked("readelf", ["-rW", elf]).Split('\n').Where(l => !l.StartsWith("File:", StringComparison.Ordinal)));

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void InPlaceVmlinuxIsMakesOwnAndBzImageKeepsTheTableUnderKaslr(string version)
    {
        var build = KernelFixtures.BuildDir(version, "B");
        using var work = new Work(build, version, inPlace: true);
        // make's own files of this very build dir, kept before ours replace them and put back at the end.
        using var makes = new MakesOutputs(build, Path.Combine(work.Dir, "make"),
            "vmlinux", "System.map", ".vmlinux.cmd", "arch/x86/boot/bzImage", "arch/x86/boot/compressed/vmlinux.relocs");
        var first = work.Build();
        Assert.IsTrue(first.Succeeded, first.ToString());
        Assert.AreEqual(1, first.ExecutedTasks.Count(t => t == "LinkVmlinux"), "one final link");
        Assert.IsNull(ImageDiff.FirstDifference(makes.Saved("vmlinux"), work.Vmlinux));
        Assert.IsNull(ImageDiff.FirstDifference(makes.Saved("System.map"), work.SystemMap));
        KallsymsShapeFinder.AssertFindsTable(work.Vmlinux);

        // make changed nothing: the probe runs, our link and patch are skipped.
        var second = work.Build();
        Assert.IsTrue(second.Succeeded, second.ToString());
        Assert.IsFalse(second.RanTask("LinkVmlinux"), second.ToString());
        Assert.IsFalse(second.RanTask("PatchKallsyms"), second.ToString());

        // The kernel's make takes our vmlinux as its own: bzImage without relinking vmlinux.
        var vmlinuxTime = File.GetLastWriteTimeUtc(work.Vmlinux);
        Tool.RunChecked("make", ["-C", build, "-s", "-j2", "bzImage"], environment: work.PathEnvironment);
        Assert.AreEqual(0, work.FinalLinks().Count, "make relinked vmlinux: " + string.Join('\n', work.FinalLinks()));
        Assert.AreEqual(vmlinuxTime, File.GetLastWriteTimeUtc(work.Vmlinux));

        // KASLR moved everything by one offset: kallsyms_relative_base carried its relocation into the bzImage.
        var booted = QemuBoot.Kallsyms(Path.Combine(build, "arch", "x86", "boot", "bzImage"), "kaslr");
        var map = SystemMap.Read(work.SystemMap).ToHashSet();
        var delta = booted.Single(s => s.Name == "_text").Address - map.Single(s => s.Name == "_text").Address;
        Assert.AreNotEqual(0UL, delta, "KASLR should have moved the kernel");
        var strays = booted.Where(s => !map.Contains(s with { Address = s.Address - delta }) && !map.Contains(s)).ToList();
        Assert.IsEmpty(strays, string.Join('\n', strays.Take(10)));
        CollectionAssert.AreEquivalent(Decode(work).Select(s => s.Name).ToList(), booted.Select(s => s.Name).ToList());
    }

    /// <summary>
    /// 7.x linked in place, as make links it: link-vmlinux.sh writes vmlinux.unstripped, and Makefile.vmlinux makes
    /// vmlinux, modules.builtin.modinfo and modules.builtin from it. P (x86-64: SMP, KASLR, modules, IBT, ORC, ftrace with
    /// BUILDTIME_MCOUNT_SORT, BTF, no KALLSYMS_ALL) and arm64gcc (arm64 with GCC and GNU ld: a -pie image, KASLR, modules).
    /// One vmlinux link (with BTF, pahole reads a relocatable link of the inputs whose per-CPU sections are merged as the
    /// final script merges them); every file make wrote for the link — both images, System.map, the derived files and
    /// every .cmd file — is make's byte for byte; the arrays are scripts/kallsyms' (PC-relative offsets, their relocations
    /// in the image with make's addends); a second build links nothing; make's boot image and modules then relink nothing
    /// and the boot image (x86: bzImage and vmlinux.relocs) is make's; the kernel boots listing the table (x86: vmlinux,
    /// exporting its BTF; arm64: the Image without KASLR), and with KASLR every symbol moves by one offset.
    /// </summary>
    [TestMethod]
    [DataRow("7.3", "P")]
    [DataRow("7.3", "arm64gcc")]
    [DataRow("7.2", "P")]
    [DataRow("7.2", "arm64gcc")]
    public void Linux7InPlaceIsMakesEveryFileAndBoots(string version, string config)
    {
        var build = KernelFixtures.BuildDir(version, config);
        var arm64 = config.StartsWith("arm64", StringComparison.Ordinal);
        using var work = new Work(build, version, inPlace: true, KernelFixtures.MakeVariables(version, config),
            linker: arm64 ? "aarch64-linux-gnu-ld" : "ld");
        if (!arm64) work.Environment["KBUILD_BUILD_TIMESTAMP"] = KernelFixtures.BtfBuildTimestamp;  // as the BTF fixtures are built
        string[] linkFiles = ["vmlinux.unstripped", "vmlinux", "System.map", "modules.builtin.modinfo", "modules.builtin",
            ".vmlinux.unstripped.cmd", ".vmlinux.cmd", ".modules.builtin.modinfo.cmd", ".modules.builtin.cmd"];
        string[] bootFiles = arm64 ? ["arch/arm64/boot/Image"] : ["arch/x86/boot/bzImage", "arch/x86/boot/compressed/vmlinux.relocs"];
        using var makes = new MakesOutputs(build, Path.Combine(work.Dir, "make"), [.. linkFiles, .. bootFiles]);
        var outcome = work.Build();
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        Assert.AreEqual(1, work.SdkLinks().Count(args => !$" {args} ".Contains(" -r ", StringComparison.Ordinal)), "one vmlinux link");
        Assert.IsFalse(outcome.Warnings.Any(w => w.Code is "KB0309" or "KB0380"), outcome.ToString());
        foreach (var f in linkFiles)
            Assert.IsNull(ImageDiff.FirstDifference(makes.Saved(f), Path.Combine(build, f)), f);
        var nm = KernelTreeProbe.Load(work.Build_, work.ValuesCache).Get("NM");
        Assert.AreEqual(KernelMksysmap(version, Path.Combine(build, "vmlinux.unstripped"), work.Dir, nm), File.ReadAllText(work.SystemMap));
        AssertTableIsKernelKallsymsOutput(version, work);

        var second = work.Build();
        Assert.IsTrue(second.Succeeded, second.ToString());
        Assert.IsFalse(second.RanTask("LinkVmlinux"), second.ToString());

        // The kernel's make takes all of it as its own.
        work.ClearLinkLog();
        Tool.RunChecked("make", ["-C", build, "-s", "-j2", .. Kbuild.Kernel.ShellWords.CommandLine(KernelFixtures.MakeVariables(version, config)),
            arm64 ? "Image" : "bzImage", "modules"], environment: work.Environment);
        Assert.AreEqual(0, work.FinalLinks().Count, "make relinked vmlinux: " + string.Join('\n', work.FinalLinks()));
        foreach (var f in linkFiles.Concat(bootFiles))
            Assert.IsNull(ImageDiff.FirstDifference(makes.Saved(f), Path.Combine(build, f)), $"{f} after make's boot image and modules");

        var table = Decode(work);
        var bootImage = Path.Combine(build, bootFiles[0]);
        var (booted, btfSize) = QemuBoot.Boot(arm64 ? bootImage : work.Vmlinux, arm64 ? "nokaslr" : "");
        CollectionAssert.AreEquivalent(table, booted.ToList());
        if (KernelTreeProbe.Load(work.Build_, work.ValuesCache).Config.IsEnabled("DEBUG_INFO_BTF"))
            Assert.AreEqual((long)Section(work.Vmlinux, ".BTF", work.Dir).Length, btfSize, "/sys/kernel/btf/vmlinux");
        var kaslr = QemuBoot.Kallsyms(bootImage, arm64 ? "" : "kaslr");
        var delta = kaslr.Single(s => s.Name == "_text").Address - table.Single(s => s.Name == "_text").Address;
        Assert.AreNotEqual(0UL, delta, "KASLR should have moved the kernel");
        CollectionAssert.AreEquivalent(table, kaslr.Select(s => s with { Address = s.Address - delta }).ToList(), "KASLR: one offset for all");
    }

    /// <summary>
    /// Clang ThinLTO (L: <c>LLVM=-16</c>, CONFIG_LTO_CLANG_THIN, with B's SMP, KASLR and modules): the final link
    /// takes the native vmlinux.o and two LLVM bitcode objects (.vmlinux.export.o, init/version-timestamp.o), which
    /// ld.lld compiles in that link; 6.1's kallsyms runs with --lto-clang. Linked in place, as make links it: one link,
    /// and vmlinux, System.map and (6.12's x86 postlink) vmlinux.relocs are the very files make made in this build dir;
    /// System.map is mksysmap of $(NM) (llvm-nm-16), every array is scripts/kallsyms's, and the kernel boots with that
    /// table (QEMU, PVH entry). make's own files are put back afterwards, so the fixture stays make's reference.
    /// </summary>
    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void ThinLtoKernelLinksOnceIntoMakesOwnVmlinux(string version)
    {
        var build = KernelFixtures.BuildDir(version, "L");
        using var work = new Work(build, version, inPlace: true, KernelFixtures.MakeVariables(version, "L"), linker: "ld.lld-16");
        string[] compared = version == "6.1" ? ["vmlinux", "System.map"] : ["vmlinux", "System.map", "arch/x86/boot/compressed/vmlinux.relocs"];
        using var makes = new MakesOutputs(build, Path.Combine(work.Dir, "make"), [.. compared, ".vmlinux.cmd"]);
        var outcome = work.Build();
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        Assert.AreEqual(1, outcome.ExecutedTasks.Count(t => t == "LinkVmlinux"), "one final link");
        var kbuild = KernelTreeProbe.Load(work.Build_, work.ValuesCache);
        Assert.AreEqual(("clang-16", "ld.lld-16", "llvm-nm-16", "llvm-objcopy-16"), (kbuild.Compiler, kbuild.Linker, kbuild.Get("NM"), kbuild.Objcopy));
        foreach (var f in compared)
            Assert.IsNull(ImageDiff.FirstDifference(makes.Saved(f), Path.Combine(build, f)));

        Assert.AreEqual(version == "6.1", kbuild.KallsymsOptions.Contains("--lto-clang"), "--lto-clang: 6.1's link-vmlinux.sh only");
        Assert.AreEqual(KernelMksysmap(version, work.Vmlinux, work.Dir, nm: kbuild.Get("NM")), File.ReadAllText(work.SystemMap));
        AssertTableIsKernelKallsymsOutput(version, work);
        CollectionAssert.AreEquivalent(Decode(work), QemuBoot.Kallsyms(work.Vmlinux).ToList());

        // The kernel's make takes our vmlinux as its own.
        work.ClearLinkLog();
        Tool.RunChecked("make", ["-C", build, "-s", "-j2", .. Kbuild.Kernel.ShellWords.CommandLine(KernelFixtures.MakeVariables(version, "L")), "vmlinux"],
            environment: work.PathEnvironment);
        Assert.AreEqual(0, work.FinalLinks().Count, "make relinked vmlinux: " + string.Join('\n', work.FinalLinks()));
    }

    /// <summary>make's own outputs in a fixture build dir, copied aside (those that exist) and put back on dispose, so a
    /// test can link in place and the fixture stays make's reference whatever the outcome.</summary>
    private sealed class MakesOutputs : IDisposable
    {
        private readonly string _build, _saved;
        private readonly string[] _files;

        public MakesOutputs(string build, string saved, params string[] files)
        {
            (_build, _saved) = (build, saved);
            _files = files.Where(f => File.Exists(Path.Combine(build, f))).ToArray();
            foreach (var f in _files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Saved(f))!);
                Tool.RunChecked("cp", ["-a", Path.Combine(build, f), Saved(f)]);
            }
        }

        public string Saved(string file) => Path.Combine(_saved, file);

        public void Dispose()
        {
            foreach (var f in _files) Tool.RunChecked("cp", ["-a", Saved(f), Path.Combine(_build, f)]);
        }
    }

    [TestMethod]
    public void DirectoryThatIsNoKernelBuildFailsNamingIt()
    {
        var fake = Directory.CreateTempSubdirectory("kbuild-notkernel-").FullName;
        using var work = new Work(fake, "6.12", inPlace: false);
        var outcome = work.Build();
        Assert.IsFalse(outcome.Succeeded);
        CollectionAssert.AreEqual(new[] { "KB0401" }, outcome.ErrorCodes.ToArray(), outcome.ToString());
        StringAssert.Contains(outcome.Errors[0].Message, fake);
        Assert.IsFalse(File.Exists(work.Vmlinux));
        Directory.Delete(fake, recursive: true);
    }

    private const string Arm64AutoConf = "CONFIG_64BIT=y\nCONFIG_ARM64=y\nCONFIG_KALLSYMS=y\n";

    [TestMethod]
    [DataRow("5.10.0", "vmlinux:\n\t@true\n", "KB0402")]
    [DataRow("6.1.0", "vmlinux:\n\t@echo 'drivers/foo.c:1: error: broken'; false\n", "KB0404")]
    [DataRow("6.12.0", "vmlinux:\n\t@true\n", "KB0405")]
    // Refused before make runs (its recipe would leave a file): an option we do not reproduce, another
    // architecture, a compiler that is not installed.
    [DataRow("6.1.0", "vmlinux:\n\t@touch made\n", "KB0460", "CONFIG_X86_KERNEL_IBT=y\n")]
    [DataRow("6.12.0", "vmlinux:\n\t@touch made\n", "KB0406", "", "CONFIG_64BIT=y\nCONFIG_RISCV=y\nCONFIG_KALLSYMS=y\n", "ARCH=riscv LLVM=-16")]
    [DataRow("6.12.0", "vmlinux:\n\t@touch made\n", "KB0461", "", null, "LLVM=-99")]
    // arm64 without its cross tools: a missing CROSS_COMPILE prefix or LLVM suffix, none chosen, or ARCH= forgotten.
    [DataRow("6.12.0", "vmlinux:\n\t@touch made\n", "KB0461", "", Arm64AutoConf, "ARCH=arm64 CROSS_COMPILE=aarch64-none-linux-gnu-")]
    [DataRow("6.12.0", "vmlinux:\n\t@touch made\n", "KB0461", "", Arm64AutoConf, "ARCH=arm64 LLVM=-99")]
    [DataRow("6.12.0", "vmlinux:\n\t@touch made\n", "KB0471", "", Arm64AutoConf, "ARCH=arm64")]
    [DataRow("6.12.0", "vmlinux:\n\t@touch made\n", "KB0470", "", Arm64AutoConf, "")]
    public void BadKernelTreeFailsWithItsCodeAndWritesNothing(string release, string makefile, string code,
        string extraConfig = "", string? autoConf = null, string makeArguments = "")
    {
        var fake = Directory.CreateTempSubdirectory("kbuild-fake-").FullName;
        KernelFixtures.FakeBuildDir(fake, release, makefile, (autoConf ?? "CONFIG_64BIT=y\nCONFIG_X86_64=y\nCONFIG_KALLSYMS=y\n") + extraConfig);
        using var work = new Work(fake, "6.12", inPlace: true, makeArguments);
        var outcome = work.Build();
        Assert.IsFalse(outcome.Succeeded);
        // The KB error, and make's own diagnostics as canonical errors with file and line (streamed as make prints them).
        var ours = outcome.Errors.Single(e => e.Code == code);
        StringAssert.Contains(ours.Message, fake);
        foreach (var tool in outcome.Errors.Where(e => e != ours))
            Assert.IsTrue(tool is { Code: "KB0523", File: "drivers/foo.c", LineNumber: 1, Message: "broken" }, $"{tool.File}({tool.LineNumber}): {tool.Code} {tool.Message}");
        Assert.AreEqual(code == "KB0404" ? 2 : 1, outcome.Errors.Count, outcome.ToString());
        // Nothing but the (free) build lock, which stays so no build flocks a file about to be deleted.
        CollectionAssert.AreEquivalent(new[] { "Makefile", "include", ".kbuild-sdk.lock" }.Concat(Directory.Exists(Path.Combine(fake, "source")) ? ["source"] : []).ToArray(),
            Directory.EnumerateFileSystemEntries(fake).Select(Path.GetFileName).ToArray());
        if (Directory.Exists(Path.Combine(fake, "source"))) Directory.Delete(Path.Combine(fake, "source"));
        Directory.Delete(fake, recursive: true);
    }

    /// <summary>
    /// Kill anywhere in kernel-tree mode (issue 12): SIGKILL or Ctrl-C (SIGINT) of `dotnet build` while the
    /// kernel's make is half-way through vmlinux.o, after the post-link steps ran on the staged image, and after vmlinux was published
    /// but before .vmlinux.cmd was written again. The next build gives a vmlinux, System.map and vmlinux.relocs
    /// byte-identical to an uninterrupted build of the same tree (build number and time pinned, as for a
    /// reproducible kernel), leaves nothing of the killed build behind (no process, no staged file), and a plain
    /// make afterwards does not relink. Runs on a copy of the 6.12 B build directory (KASLR: the x86 postlink writes vmlinux.relocs).
    /// </summary>
    [TestMethod]
    [DataRow("make", "KILL")]
    [DataRow("make", "INT")]
    [DataRow("_KernelTreePostLink", "KILL")]
    [DataRow("KbuildPatchKallsyms", "KILL")]
    public void KilledAnywhere_TheNextBuildIsByteIdenticalAndMakeSeesNothingHalfDone(string killPoint, string signal)
    {
        var copy = Path.Combine(Directory.CreateTempSubdirectory("kbuild-kt-copy-").FullName, "build");
        // Under the fixtures' lock: a make running in the fixture would change it while it is copied.
        Tool.RunChecked("flock", ["/tmp/kbuild-kernel.lock", "cp", "-a", KernelFixtures.BuildDir("6.12", "B"), copy]);
        // The copy's Makefile still names the fixture as KBUILD_OUTPUT: make would build there, not in the copy.
        KernelFixtures.MakeBuildDirItsOwn(copy);
        const string hooks = """
            <Target Name="_TestKill" AfterTargets="$(TestKillAfter)" Condition="'$(TestKillAfter)' != ''">
              <Exec Command="kill -$(TestKillSignal) $PPID; sleep 30" />
            </Target>
            """;
        // The make row kills the build right after make's `ld -r` wrote vmlinux.o and before objtool added its ORC
        // tables to it: a make that cannot delete that half-made vmlinux.o leaves one the next make trusts.
        var pidFile = Path.Combine(Path.GetDirectoryName(copy)!, "killed.pid");
        var killAfterVmlinuxO = $$"""
            case " $* " in *" -r -o vmlinux.o "*) if [ -n "$TEST_KILL_DURING_MAKE" ]; then
              while [ ! -s '{{pidFile}}' ]; do sleep 0.1; done; kill -$TEST_KILL_DURING_MAKE $(cat '{{pidFile}}'); sleep 30
            fi ;; esac
            """;
        using var work = new Work(copy, "6.12", inPlace: true, "KBUILD_BUILD_VERSION=1 KBUILD_BUILD_TIMESTAMP=2026-01-01", hooks,
            afterLink: killAfterVmlinuxO);
        try
        {
            // Something for make to do: an object to compile again, so vmlinux.a changes and vmlinux is relinked.
            var obj = Path.Combine(copy, "init", "calibrate.o");

            var warm = work.Build();
            Assert.IsTrue(warm.Succeeded, warm.ToString());
            File.Delete(obj);
            var good = work.Build();
            Assert.IsTrue(good.Succeeded, good.ToString());
            var expected = Outputs(copy);

            File.Delete(obj);
            var environment = new Dictionary<string, string>();
            string[] args = [];
            if (killPoint == "make") environment["TEST_KILL_DURING_MAKE"] = signal;
            else args = [$"-p:TestKillAfter={killPoint}", $"-p:TestKillSignal={signal}"];
            using (var killed = work.StartDotnetBuild(environment, args))
            {
                File.WriteAllText(pidFile, killed.Id.ToString());
                var reading = killed.StandardOutput.ReadToEndAsync();
                _ = killed.StandardError.ReadToEndAsync();
                Assert.IsTrue(killed.WaitForExit(TimeSpan.FromMinutes(8)), "the build was not killed");
                // A task host MSBuild started just before a SIGKILL can outlive the build holding its stdout open: no EOF then.
                var output = reading.Wait(TimeSpan.FromSeconds(30)) ? reading.Result : "(the killed build's output is still open)";
                Assert.AreNotEqual(0, killed.ExitCode, output);
                if (signal == "INT" && killPoint == "make") StringAssert.Contains(output, "KB0521", output);
            }
            File.Delete(pidFile);
            // Nothing of the killed build keeps running in the build directory (its task host stops its tools).
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (ProcessesIn(copy).Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(500);
            Assert.AreEqual(0, ProcessesIn(copy).Count, "left running: " + string.Join("\n", ProcessesIn(copy)));

            var recovered = work.Build();
            Assert.IsTrue(recovered.Succeeded, recovered.ToString());
            var actual = Outputs(copy);
            foreach (var (name, bytes) in expected)
                CollectionAssert.AreEqual(bytes, actual[name], $"{name} differs from the uninterrupted build's");
            var leftovers = Directory.GetFileSystemEntries(copy, ".*vmlinux*", SearchOption.AllDirectories)
                .Where(p => p.EndsWith(".staged", StringComparison.Ordinal) || p.EndsWith(".linked", StringComparison.Ordinal) || p.EndsWith(".postlink", StringComparison.Ordinal)
                    || p.EndsWith(".tmp", StringComparison.Ordinal)).ToList();
            Assert.AreEqual(0, leftovers.Count, "left behind: " + string.Join(", ", leftovers));

            work.ClearLinkLog();
            Tool.RunChecked("make", ["-C", copy, "-s", "-j2", "KBUILD_BUILD_VERSION=1", "KBUILD_BUILD_TIMESTAMP=2026-01-01", "vmlinux"],
                environment: work.PathEnvironment);
            Assert.AreEqual(0, work.FinalLinks().Count, "make relinked vmlinux after the recovered build");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(copy)!, recursive: true);
        }
    }

    private static Dictionary<string, byte[]> Outputs(string build) =>
        new[] { "vmlinux", "System.map", "arch/x86/boot/compressed/vmlinux.relocs" }
            .Where(f => File.Exists(Path.Combine(build, f)))
            .ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(build, f)));

    /// <summary>The command lines of the running processes that name <paramref name="dir"/>.</summary>
    private static List<string> ProcessesIn(string dir) =>
        RunningProcess.All().Select(p => p.CommandLine()).Where(c => c.Contains(dir, StringComparison.Ordinal)).ToList();

    // ---- oracles ----

    private static byte[] Section(string elf, string section, string dir)
    {
        var output = Path.Combine(dir, $"section-{Guid.NewGuid():N}");
        Tool.RunChecked("objcopy", ["-O", "binary", $"--only-section={section}", elf, output]);
        return File.ReadAllBytes(output);
    }

    /// <param name="nm">The kernel's $(NM) (llvm-nm-16 for LLVM=-16).</param>
    private static string KernelMksysmap(string version, string vmlinux, string dir, string nm = "nm")
    {
        var mksysmap = Path.Combine(KernelFixtures.SourceDir(version), "scripts", "mksysmap");
        if (version != "6.1") return Tool.Shell($"{nm} -n '{vmlinux}' | sed -f '{mksysmap}'");
        var output = Path.Combine(dir, "System.map.mksysmap");
        Tool.RunChecked("sh", [mksysmap, vmlinux, output], environment: new Dictionary<string, string> { ["NM"] = nm });
        return File.ReadAllText(output);
    }

    private static List<NmSymbol> Decode(Work work)
    {
        var absolutePercpu = KernelTreeProbe.Load(work.Build_, work.ValuesCache).KallsymsOptions.Contains("--absolute-percpu");
        using var image = ElfImage.Open(work.Vmlinux);
        return KallsymsDecoder.Decode(image, absolutePercpu).ToList();
    }

    private static void AssertTableIsKernelKallsymsOutput(string version, Work work)
    {
        var options = KernelTreeProbe.Load(work.Build_, work.ValuesCache).KallsymsOptions;
        var kernelTool = KernelKallsymsTool.Run(version, options, work.SystemMap);
        Assert.AreEqual(0, kernelTool.ExitCode, kernelTool.StdErr);
        var oracleObject = KernelKallsymsTool.AssembleObject(kernelTool.StdOut, ElfClass.Elf64, work.Dir, "kallsyms");

        using var ours = ElfImage.Open(work.Vmlinux);
        List<ElfSymbol> arrays;
        using (var theirsObject = ElfImage.Open(oracleObject))
            arrays = theirsObject.ReadSymbols().Where(s => s.Name.StartsWith("kallsyms_", StringComparison.Ordinal)).OrderBy(s => s.Value).ToList();
        var names = arrays.Select(a => a.Name).ToHashSet();
        var oursByName = ours.ReadSymbols().Where(s => names.Contains(s.Name)).ToDictionary(s => s.Name);
        // The oracle linked where ours lies, _text where ours is: slots relative to _text (7.x: to themselves) hold the
        // values the link gives them.
        var oracle = Path.Combine(work.Dir, "kallsyms.elf");
        var text = ours.ReadSymbols().First(s => s.Name == "_text").Value;
        Tool.RunChecked("ld", ["-e", "0", "--defsym", $"_text=0x{text:x}", $"--section-start=.rodata=0x{oursByName[arrays[0].Name].Value:x}",
            "-o", oracle, oracleObject]);
        using var theirs = ElfImage.Open(oracle);
        var rodata = theirs.ReadSection(theirs.FindSection(".rodata")!);
        for (var i = 0; i < arrays.Count; i++)
        {
            var name = arrays[i].Name;
            if (name == "kallsyms_relative_base") continue;  // a dynamic relocation on arm64 (its slot may be left zero); the boots check its value
            var end = i + 1 < arrays.Count ? (int)arrays[i + 1].Value : rodata.Length;
            // The oracle's slice runs to the next label (its alignment padding included): our room is laid out the same.
            var expected = rodata[(int)arrays[i].Value..end];
            var actual = ours.ReadBytes(ours.FileOffsetOf(oursByName[name].Value), expected.Length);
            CollectionAssert.AreEqual(expected, actual, $"{name} differs from scripts/kallsyms");
        }
    }

    /// <summary>A kernel.kproj in a temp dir for one build directory, with ld wrapped to log its calls.</summary>
    private sealed class Work : IDisposable
    {
        private readonly string _log;

        /// <param name="extraBody">More project XML (test hooks).</param>
        /// <param name="linker">The kernel's $(LD), wrapped to log its calls (ld, or ld.lld-16 for an LLVM kernel).</param>
        /// <param name="afterLink">Shell lines the wrapper runs after a successful link (its arguments in "$@").</param>
        public Work(string buildDir, string version, bool inPlace, string makeArguments = "", string extraBody = "", string linker = "ld",
            string afterLink = "")
        {
            Build_ = buildDir;
            Dir = Directory.CreateTempSubdirectory("kbuild-kerneltree-").FullName;
            var bin = Path.Combine(Dir, "bin");
            Directory.CreateDirectory(bin);
            _log = Path.Combine(Dir, "ld.log");
            var wrapper = Path.Combine(bin, linker);
            // Our links pass a response file: its arguments are logged too, on a line of their own ("sdk: …").
            File.WriteAllText(wrapper, "#!/bin/sh\n" +
                $"for a; do case \"$a\" in @*) printf 'sdk: %s\\n' \"$(tr '\\n' ' ' < \"${{a#@}}\")\" >> '{_log}' ;; esac; done\n" +
                $"echo \"$*\" >> '{_log}'\n" +
                (afterLink == "" ? $"exec /usr/bin/{linker} \"$@\"\n" : $"/usr/bin/{linker} \"$@\" || exit\n{afterLink}\n"));
            Tool.RunChecked("chmod", ["+x", wrapper]);
            PathEnvironment = new Dictionary<string, string> { ["PATH"] = bin + ":" + System.Environment.GetEnvironmentVariable("PATH") };
            Environment = new Dictionary<string, string>(PathEnvironment);
            Vmlinux = inPlace ? Path.Combine(buildDir, "vmlinux") : Path.Combine(Dir, "image", "vmlinux");
            SystemMap = Path.Combine(Path.GetDirectoryName(Vmlinux)!, "System.map");
            ValuesCache = Path.Combine(Dir, "obj", "kernel-tree.values");
            Project = Path.Combine(Dir, "kernel.kproj");
            KernelProject.Write(Project,
                [
                    ("KernelSourceDir", Path.Combine(KernelFixtures.Root, "src", $"linux-{version}")), ("KernelBuildDir", buildDir),
                    ("KernelMakeArguments", makeArguments), .. (inPlace ? Array.Empty<(string, string)>() : [("VmlinuxOutputPath", Vmlinux)]),
                ],
                afterTargets: extraBody);
        }

        public string Build_ { get; }
        public string Dir { get; }
        public string Project { get; }
        public string Vmlinux { get; }
        public string SystemMap { get; }
        public string ValuesCache { get; }
        public Dictionary<string, string> PathEnvironment { get; }

        /// <summary>Set for the duration of each <see cref="Build"/> (PATH with the logging ld first, and what a test adds).</summary>
        public Dictionary<string, string> Environment { get; }

        public BuildOutcome Build()
        {
            var saved = Environment.ToDictionary(e => e.Key, e => System.Environment.GetEnvironmentVariable(e.Key));
            foreach (var (k, v) in Environment) System.Environment.SetEnvironmentVariable(k, v);
            try { return BuildRunner.Build(Project); }
            finally { foreach (var (k, v) in saved) System.Environment.SetEnvironmentVariable(k, v); }
        }

        /// <summary>`dotnet build` in a child process with this work's PATH (so it can be killed midway).</summary>
        public Process StartDotnetBuild(IDictionary<string, string>? environment = null, params string[] args)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "build", Project, "-nodeReuse:false", "-v:n" }.Concat(args)) psi.ArgumentList.Add(a);
            psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            psi.Environment["PATH"] = PathEnvironment["PATH"];
            foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
            return Process.Start(psi)!;
        }

        public void ClearLinkLog() => File.Delete(_log);

        /// <summary>The logged ld calls that link vmlinux (link-vmlinux.sh's, of vmlinux.a or of vmlinux.o inside
        /// --whole-archive), not the <c>ld -r</c> that makes vmlinux.o.</summary>
        public List<string> FinalLinks() =>
            LogLines().Where(l => !l.StartsWith(SdkLinkPrefix, StringComparison.Ordinal) && l.Contains("--whole-archive", StringComparison.Ordinal)
                && !$" {l} ".Contains(" -r ", StringComparison.Ordinal)).ToList();

        /// <summary>The logged links of this SDK (the arguments of their response files), relocatable ones included.</summary>
        public List<string> SdkLinks() =>
            LogLines().Where(l => l.StartsWith(SdkLinkPrefix, StringComparison.Ordinal)).Select(l => l[SdkLinkPrefix.Length..]).ToList();

        private const string SdkLinkPrefix = "sdk: ";

        private IEnumerable<string> LogLines() => File.Exists(_log) ? File.ReadLines(_log) : [];

        public void Dispose()
        {
            // MSBuild nodes that a killed build left (they run in its project directory) go with it.
            // An orphaned task host of a killed build works in the project directory.
            foreach (var orphan in RunningProcess.All().Where(p => p.WorkingDirectory() is { } cwd && (cwd + "/").StartsWith(Dir + "/", StringComparison.Ordinal)).ToList())
                try { Process.GetProcessById(orphan.Pid).Kill(); } catch (Exception e) when (e is ArgumentException or InvalidOperationException) { }
            Directory.Delete(Dir, recursive: true);
        }
    }
}
