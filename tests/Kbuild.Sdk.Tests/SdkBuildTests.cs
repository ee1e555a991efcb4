using Kbuild.Tests;
using Kbuild.Elf;
using Kbuild.Symbols;

namespace Kbuild.Sdk.Tests;

/// <summary>Whole builds of a synthetic kernel through the SDK from source: outputs, incrementality, fallback, faults.</summary>
[TestClass]
[DoNotParallelize]
public sealed class SdkBuildTests
{
    private static readonly string[] PipelineTasks = ["ReserveKallsyms", "LinkVmlinux", "PatchKallsyms", "WriteSystemMap"];

    private static BuildOutcome BuildOk(SyntheticKernel kernel, IDictionary<string, string>? properties = null)
    {
        var outcome = kernel.Build(properties);
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        return outcome;
    }

    [TestMethod]
    public void Build_WritesPatchedVmlinuxWhoseTableMatchesSystemMap()
    {
        using var kernel = new SyntheticKernel();
        var outcome = BuildOk(kernel);

        CollectionAssert.IsSubsetOf(PipelineTasks, outcome.ExecutedTasks);
        Oracle.AssertConsistent(kernel);
        // The linked image was patched in place and renamed: no second image beside the output or in obj/.
        CollectionAssert.AreEquivalent(new[] { "System.map", "vmlinux" }, Directory.GetFiles(Path.Combine(kernel.Dir, "out")).Select(Path.GetFileName).ToArray());
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(kernel.Dir, "obj"), "vmlinux*"));
    }

    [TestMethod]
    public void WithoutKallsyms_LinksOnceWithNoTable()
    {
        using var kernel = new SyntheticKernel();
        var outcome = BuildOk(kernel, new Dictionary<string, string> { ["KallsymsEnabled"] = "false" });

        Assert.AreEqual(1, outcome.ExecutedTasks.Count(t => t == "LinkVmlinux"), outcome.ToString());
        Assert.IsFalse(outcome.RanTask("GenerateKallsyms"), outcome.ToString());
        Assert.IsFalse(outcome.RanTask("PatchKallsyms"), outcome.ToString());
        var nm = Tool.RunChecked("nm", [kernel.Vmlinux]);
        Assert.DoesNotContain("kallsyms_", nm, "a kernel without CONFIG_KALLSYMS gets no table");
        Assert.AreEqual(Oracle.KernelSystemMap(kernel.Vmlinux), File.ReadAllText(kernel.SystemMap));
    }

    [TestMethod]
    public void NoOpBuild_RunsNeitherLinkerNorPatch()
    {
        using var kernel = new SyntheticKernel();
        BuildOk(kernel);
        var vmlinuxTime = File.GetLastWriteTimeUtc(kernel.Vmlinux);

        var outcome = BuildOk(kernel);

        foreach (var task in PipelineTasks) Assert.IsFalse(outcome.RanTask(task), $"{task} ran on a no-op build\n{outcome}");
        // The patch runs only after a link: it has no up-to-date check of its own.
        foreach (var target in new[] { "KbuildReserveKallsyms", "_KbuildLinkCore", "KbuildSystemMap" })
            Assert.IsTrue(outcome.SkippedAsUpToDate(target), $"{target} was not skipped as up to date\n{outcome}");
        Assert.AreEqual(vmlinuxTime, File.GetLastWriteTimeUtc(kernel.Vmlinux));
    }

    [TestMethod]
    public void TouchingAnObject_Relinks()
    {
        using var kernel = new SyntheticKernel();
        BuildOk(kernel);
        kernel.Touch("start.o");

        var outcome = BuildOk(kernel);

        Assert.IsTrue(outcome.RanTask("LinkVmlinux"), outcome.ToString());
        Assert.IsTrue(outcome.RanTask("PatchKallsyms"), outcome.ToString());
        Oracle.AssertConsistent(kernel);
    }

    [TestMethod]
    public void ChangingTheLinkerScript_RelinksWithItsNewSymbols()
    {
        using var kernel = new SyntheticKernel();
        BuildOk(kernel);
        kernel.Write("kernel.lds", SyntheticKernel.LinkerScriptText.Replace("_end = .;", "_end = .;\n    __script_marker = .;"));
        kernel.Touch("kernel.lds");

        var outcome = BuildOk(kernel);

        Assert.IsTrue(outcome.RanTask("LinkVmlinux"), outcome.ToString());
        StringAssert.Contains(File.ReadAllText(kernel.SystemMap), " __script_marker\n");
        Oracle.AssertConsistent(kernel);
    }

    [TestMethod]
    public void ChangingALinkerFlag_Relinks_AndEmitRelocsGetsTheRelocationFixed()
    {
        using var kernel = new SyntheticKernel();
        BuildOk(kernel);

        var outcome = BuildOk(kernel, new Dictionary<string, string> { ["LdFlagsVmlinux"] = "--build-id=sha1 --emit-relocs" });

        Assert.IsTrue(outcome.RanTask("LinkVmlinux"), outcome.ToString());
        Oracle.AssertConsistent(kernel);
        // readelf: the relocation at kallsyms_relative_base must produce the patched value (_text + addend).
        var symbols = Tool.RunChecked("nm", [kernel.Vmlinux]).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).Where(p => p.Length == 3).GroupBy(p => p[2]).ToDictionary(g => g.Key, g => Convert.ToUInt64(g.First()[0], 16));
        var baseAddress = symbols["kallsyms_relative_base"];
        var relocation = Tool.RunChecked("readelf", ["-rW", kernel.Vmlinux]).Split('\n')
            .Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(p => p.Length >= 7 && ulong.TryParse(p[0], System.Globalization.NumberStyles.HexNumber, null, out var o) && o == baseAddress);
        Assert.IsNotNull(relocation, "no relocation at kallsyms_relative_base with --emit-relocs");
        Assert.AreEqual("_text", relocation[4]);
        var addend = relocation[6] == "-" ? -Convert.ToInt64(relocation[7], 16) : Convert.ToInt64(relocation[^1], 16);
        var bytes = File.ReadAllBytes(kernel.Vmlinux);
        var value = ReadAt(kernel.Vmlinux, bytes, baseAddress);
        Assert.AreEqual(value, symbols["_text"] + (ulong)addend, "relocation addend disagrees with the patched kallsyms_relative_base");
    }

    [TestMethod]
    public void TableOutgrowingItsReservation_WarnsRelinksOnceAndEndsCorrect()
    {
        using var kernel = new SyntheticKernel();
        // --defsym defines a symbol no link input or script shows; with no slack the real table cannot fit.
        var properties = new Dictionary<string, string>
        {
            ["KallsymsSlackPercent"] = "0",
            ["KallsymsSlackMinBytes"] = "0",
            ["LdFlags"] = "-m elf_x86_64 -z noexecstack --defsym=a_symbol_only_the_linker_knows_about=_stext",
        };

        var outcome = BuildOk(kernel, properties);

        Assert.IsTrue(outcome.Warnings.Any(w => w.Code == "KB0309"), outcome.ToString());
        Assert.AreEqual(2, outcome.ExecutedTasks.Count(t => t == "LinkVmlinux"), outcome.ToString());
        StringAssert.Contains(File.ReadAllText(kernel.SystemMap), " a_symbol_only_the_linker_knows_about\n");
        Oracle.AssertConsistent(kernel);
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(kernel.Dir, "out"), ".*"), "the first link's image outlived the relink");

        var again = BuildOk(kernel, properties);
        Assert.IsFalse(again.RanTask("LinkVmlinux"), again.ToString());
    }

    [TestMethod]
    public void PostLinkTargets_RunOnThePatchedImageBeforeItIsPublished()
    {
        using var kernel = new SyntheticKernel();

        BuildOk(kernel, new Dictionary<string, string> { ["KbuildPostLinkTargets"] = "TestPostLink" });

        var vmlinux = File.ReadAllBytes(kernel.Vmlinux);
        Assert.AreEqual("POSTLINK", System.Text.Encoding.ASCII.GetString(vmlinux[^8..]));
        Assert.IsFalse(File.Exists(Path.Combine(kernel.Dir, "out", ".vmlinux.staged")));
        Oracle.AssertConsistent(kernel);
    }

    [TestMethod]
    public void Clean_RemovesWhatTheBuildWrote()
    {
        using var kernel = new SyntheticKernel();
        BuildOk(kernel);

        Assert.IsTrue(kernel.Build(target: "Clean").Succeeded);

        foreach (var output in new[] { kernel.Vmlinux, kernel.SystemMap, kernel.ReservationObject })
            Assert.IsFalse(File.Exists(output), $"{output} survived Clean");
        Assert.AreEqual(0, Directory.GetFiles(Path.Combine(kernel.Dir, "obj")).Length, "obj/ still has files");
        Assert.IsTrue(File.Exists(Path.Combine(kernel.Dir, "start.o")), "Clean removed an input");
    }

    [TestMethod]
    public void TwoCleanBuilds_AreByteIdentical()
    {
        using var kernel = new SyntheticKernel();
        BuildOk(kernel);
        var vmlinux = File.ReadAllBytes(kernel.Vmlinux);
        var map = File.ReadAllBytes(kernel.SystemMap);

        Assert.IsTrue(kernel.Build(target: "Rebuild").Succeeded);

        CollectionAssert.AreEqual(vmlinux, File.ReadAllBytes(kernel.Vmlinux));
        CollectionAssert.AreEqual(map, File.ReadAllBytes(kernel.SystemMap));
    }

    private static ulong ReadAt(string path, byte[] bytes, ulong address)
    {
        using var image = Kbuild.Elf.ElfImage.Open(path);
        return BitConverter.ToUInt64(bytes, (int)image.FileOffsetOf(address));
    }
}
