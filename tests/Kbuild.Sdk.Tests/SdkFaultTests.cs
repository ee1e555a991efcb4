using Kbuild.Elf;
using Kbuild.Symbols;
using Kbuild.Table;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>Bad inputs and interrupted builds: a KB error, and the previous good outputs left as they were.</summary>
[TestClass]
[DoNotParallelize]
public sealed class SdkFaultTests
{
    private sealed record Snapshot(byte[] Vmlinux, byte[] SystemMap);

    private static Snapshot GoodBuild(SyntheticKernel kernel)
    {
        var outcome = kernel.Build();
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        return new Snapshot(File.ReadAllBytes(kernel.Vmlinux), File.ReadAllBytes(kernel.SystemMap));
    }

    private static void AssertFailsWith(SyntheticKernel kernel, Snapshot previous, string code, IDictionary<string, string>? properties = null)
    {
        var outcome = kernel.Build(properties);
        Assert.IsFalse(outcome.Succeeded, outcome.ToString());
        CollectionAssert.Contains(outcome.ErrorCodes.ToList(), code, outcome.ToString());
        CollectionAssert.AreEqual(previous.Vmlinux, File.ReadAllBytes(kernel.Vmlinux), "a failed build changed vmlinux");
        CollectionAssert.AreEqual(previous.SystemMap, File.ReadAllBytes(kernel.SystemMap), "a failed build changed System.map");
    }

    [TestMethod]
    public void MissingObject_IsAnErrorNamingIt()
    {
        using var kernel = new SyntheticKernel();
        var good = GoodBuild(kernel);
        File.Delete(Path.Combine(kernel.Dir, "data.o"));

        AssertFailsWith(kernel, good, "KB0504");
    }

    [TestMethod]
    public void MissingLinkerScript_IsAnError()
    {
        using var kernel = new SyntheticKernel();
        var good = GoodBuild(kernel);

        AssertFailsWith(kernel, good, "KB0502", new Dictionary<string, string> { ["VmlinuxLinkerScript"] = "missing.lds" });
    }

    [TestMethod]
    public void ObjectForAnotherArchitecture_IsAnErrorNamingIt()
    {
        using var kernel = new SyntheticKernel();
        var good = GoodBuild(kernel);
        kernel.Compile("data.c", "-m32");

        AssertFailsWith(kernel, good, "KB0307");
    }

    [TestMethod]
    [DataRow("ld")]
    [DataRow("ld.lld-16")]
    public void UndefinedSymbol_BecomesALinkerErrorWithItsFile(string linker)
    {
        using var kernel = new SyntheticKernel();
        var good = GoodBuild(kernel);
        kernel.Write("bad.c", "void missing_function(void);\nvoid caller(void) { missing_function(); }");
        kernel.Compile("bad.c");
        var properties = new Dictionary<string, string> { ["ExtraObjects"] = "bad.o", ["Ld"] = linker };

        AssertFailsWith(kernel, good, "KB0303", properties);
        var outcome = kernel.Build(properties);
        var error = outcome.Errors.First(e => e.Code == "KB0303");
        StringAssert.Contains(error.Message, "missing_function");
        StringAssert.Contains(error.File, "bad.");
        CollectionAssert.Contains(outcome.ErrorCodes.ToList(), "KB0305");
    }

    [TestMethod]
    public void ImageWithoutTheReservation_IsAnError()
    {
        using var kernel = new SyntheticKernel();
        var good = GoodBuild(kernel);
        // The script throws the reservation's table away, so the linked image has no room to patch.
        kernel.Write("kernel.lds", SyntheticKernel.LinkerScriptText.Replace("SECTIONS\n{", "SECTIONS\n{\n    /DISCARD/ : { *kallsyms.reserve.o(.rodata) }"));
        kernel.Touch("kernel.lds");

        AssertFailsWith(kernel, good, "KB0308");
    }

    [TestMethod]
    [DataRow("KbuildReserveKallsyms")]
    [DataRow("_KbuildLinkCore")]
    [DataRow("KbuildPatchKallsyms")]
    [DataRow("TestPostLink")]
    [DataRow("during-ld")]
    [DataRow("KbuildReserveKallsyms", "INT")]
    [DataRow("_KbuildLinkCore", "INT")]
    [DataRow("KbuildPatchKallsyms", "INT")]
    [DataRow("TestPostLink", "INT")]
    public void KilledBuild_NeverLeavesAnUnpatchedVmlinux_AndTheNextBuildRecovers(string killPoint, string signal = "KILL")
    {
        using var kernel = new SyntheticKernel();
        var good = GoodBuild(kernel);
        kernel.Write("kernel.lds", SyntheticKernel.LinkerScriptText.Replace("_end = .;", "_end = .;\n    __script_marker = .;"));
        kernel.Touch("kernel.lds");

        string[] args;
        if (killPoint == "during-ld")
        {
            // The linker finishes writing, then the process running the link dies before anything is renamed.
            var wrapper = kernel.Write("kill-ld.sh", "#!/bin/sh\nld \"$@\" || exit $?\nkill -9 $PPID\nsleep 5");
            Tool.RunChecked("chmod", ["+x", wrapper]);
            args = [$"-p:Ld={wrapper}"];
        }
        else
        {
            // KILL: the process dies on the spot; INT: Ctrl-C, MSBuild cancels what runs and stops.
            args = [$"-p:TestKillAfter={killPoint}", "-p:KbuildPostLinkTargets=TestPostLink", $"-p:TestKillSignal={signal}"];
        }
        var (exitCode, output) = BuildRunner.DotnetBuild(kernel.Project, args);
        Assert.AreNotEqual(0, exitCode, output);

        // Whatever is at the output path is either the previous good kernel or a fully patched new one.
        var vmlinux = File.ReadAllBytes(kernel.Vmlinux);
        if (!vmlinux.AsSpan().SequenceEqual(good.Vmlinux)) AssertTableMatchesImage(kernel.Vmlinux);

        var rebuilt = kernel.Build();
        Assert.IsTrue(rebuilt.Succeeded, rebuilt.ToString());
        StringAssert.Contains(File.ReadAllText(kernel.SystemMap), " __script_marker\n");
        Oracle.AssertConsistent(kernel);
    }

    private static void AssertTableMatchesImage(string vmlinux)
    {
        var expected = SystemMap.Parse(new StringReader(Oracle.KernelSystemMap(vmlinux)), vmlinux)
            .Where(s => s.Type is not ('u' or 'n' or 'a' or 'A')).Select(s => s.ToString()).Order().ToList();
        using var image = ElfImage.Open(vmlinux);
        var decoded = KallsymsDecoder.Decode(image).Select(s => s.ToString()).Order().ToList();
        CollectionAssert.AreEqual(expected, decoded, "vmlinux at the output path holds a table that is not its own");
    }
}
