using Kbuild.Tests;
using Kbuild.Symbols;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// The developer-loop switches on a real kernel in kernel-tree mode (fixture 6.12-B, output in a temp dir):
/// stripped, the image's symbols are the full link's (nm) and it boots with make's /proc/kallsyms; with ld.lld-16 it boots
/// and /proc/kallsyms names make's symbols at the addresses of its own System.map.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class DeveloperLoopKernelTests
{
    [TestMethod]
    public void StripDebugAndLld_OnAFixtureKernel_KeepSymbolsAndBoot()
    {
        var build = KernelFixtures.BuildDir("6.12", "B");
        var dir = Directory.CreateTempSubdirectory("kbuild-devloop-").FullName;
        try
        {
            var project = Path.Combine(dir, "kernel.kproj");
            KernelProject.Write(project,
                [("KernelBuildDir", build), ("VmlinuxOutputPath", $"{dir}/$(Variant)/vmlinux"), ("IntermediateOutputPath", "obj-$(Variant)/")]);
            string Build(string variant, Dictionary<string, string> properties)
            {
                properties["Variant"] = variant;
                var outcome = BuildRunner.Build(project, properties: properties);
                Assert.IsTrue(outcome.Succeeded, outcome.ToString());
                return Path.Combine(dir, variant, "vmlinux");
            }

            var full = Build("full", []);
            var stripped = Build("stripped", new() { ["KbuildStripDebug"] = "true" });
            CollectionAssert.AreEqual(Tool.RunChecked("nm", ["-n", full]).Split('\n'), Tool.RunChecked("nm", ["-n", stripped]).Split('\n'));
            CollectionAssert.AreEqual(File.ReadAllLines(full + "/../System.map"), File.ReadAllLines(stripped + "/../System.map"));

            // The oracle: /proc/kallsyms of the kernel make linked in this build directory.
            var reference = QemuBoot.Kallsyms(Path.Combine(build, "vmlinux"));
            CollectionAssert.AreEqual(reference.ToList(), QemuBoot.Kallsyms(stripped).ToList(),
                "stripped, the kernel keeps make's addresses, symbols and table");

            var lld = Build("lld", new() { ["KbuildStripDebug"] = "true", ["KbuildUseLld"] = "true", ["KbuildLld"] = "ld.lld-16" });
            StringAssert.Contains(Tool.RunChecked("readelf", ["-p", ".comment", lld]), "LLD");
            AssertBootsWithItsOwnTable(lld, reference);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The image boots, its /proc/kallsyms lists what its own System.map holds at each address, and it names
    /// the symbols make's kernel names (ld.lld lays the kernel out at other addresses).</summary>
    private static void AssertBootsWithItsOwnTable(string vmlinux, IReadOnlyList<NmSymbol> reference)
    {
        var map = File.ReadAllLines(Path.Combine(Path.GetDirectoryName(vmlinux)!, "System.map"))
            .Select(l => l.Split(' ')).Select(p => $"{p[0]} {p[2]}").ToHashSet();
        var booted = QemuBoot.Kallsyms(vmlinux);
        var missing = booted.Select(s => $"{s.Address:x16} {s.Name}").Where(b => !map.Contains(b)).Take(5).ToList();
        Assert.IsEmpty(missing, $"in /proc/kallsyms of {vmlinux} but not in its System.map: " + string.Join(", ", missing));
        CollectionAssert.AreEquivalent(reference.Select(s => $"{s.Type} {s.Name}").ToList(), booted.Select(s => $"{s.Type} {s.Name}").ToList(),
            $"/proc/kallsyms of {vmlinux} names other symbols than make's kernel");
    }
}
