using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// The developer-loop switches on a real kernel in kernel-tree mode (fixture 6.1-B, output in a temp dir):
/// stripped, the image's symbols are the full link's (nm); with ld.lld-16 it boots and /proc/kallsyms is its own System.map.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class DeveloperLoopKernelTests
{
    [TestMethod]
    public void StripDebugAndLld_OnAFixtureKernel_KeepSymbolsAndBoot()
    {
        var build = KernelFixtures.BuildDir("6.1", "B");
        var dir = Directory.CreateTempSubdirectory("kbuild-devloop-").FullName;
        try
        {
            var project = Path.Combine(dir, "kernel.kproj");
            File.WriteAllText(project, $"""
                <Project>
                  <Import Project="{RepoPaths.Root}/src/Kbuild.Sdk/Sdk/Sdk.props" />
                  <PropertyGroup>
                    <KernelBuildDir>{build}</KernelBuildDir>
                    <VmlinuxOutputPath>{dir}/$(Variant)/vmlinux</VmlinuxOutputPath>
                    <IntermediateOutputPath>obj-$(Variant)/</IntermediateOutputPath>
                  </PropertyGroup>
                  <Import Project="{RepoPaths.Root}/src/Kbuild.Sdk/Sdk/Sdk.targets" />
                </Project>
                """);
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

            AssertBootsWithinItsSystemMap(stripped);

            var lld = Build("lld", new() { ["KbuildStripDebug"] = "true", ["KbuildUseLld"] = "true", ["KbuildLld"] = "ld.lld-16" });
            StringAssert.Contains(Tool.RunChecked("readelf", ["-p", ".comment", lld]), "LLD");
            AssertBootsWithinItsSystemMap(lld);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The image boots, and every "address name" of its /proc/kallsyms is a line of its System.map
    /// (kallsyms lists a subset: it drops some names).</summary>
    private static void AssertBootsWithinItsSystemMap(string vmlinux)
    {
        var map = File.ReadAllLines(Path.Combine(Path.GetDirectoryName(vmlinux)!, "System.map"))
            .Select(l => l.Split(' ')).Select(p => $"{p[0]} {p[2]}").ToHashSet();
        var booted = QemuBoot.Kallsyms(vmlinux).Select(s => $"{s.Address:x16} {s.Name}").ToList();
        Assert.IsTrue(booted.Count > map.Count / 2, $"only {booted.Count} symbols in /proc/kallsyms of {vmlinux}");
        var missing = booted.Where(b => !map.Contains(b)).Take(5).ToList();
        Assert.IsEmpty(missing, $"in /proc/kallsyms of {vmlinux} but not in its System.map: " + string.Join(", ", missing));
    }
}
