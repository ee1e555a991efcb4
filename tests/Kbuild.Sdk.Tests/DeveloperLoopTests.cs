using Kbuild.Tests;
using Kbuild.Symbols;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// The developer-loop switches (KbuildStripDebug, KbuildUseLld / Ld=ld.lld-16) on a synthetic kernel with DWARF:
/// checked against the full GNU ld link of the same inputs with nm, readelf and objcopy.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class DeveloperLoopTests
{
    private static SyntheticKernel KernelWithDebugInfo(string ldFlags = "-m elf_x86_64 -z noexecstack")
    {
        var kernel = new SyntheticKernel();
        foreach (var source in new[] { "start.c", "data.c", "lib/util.c" }) kernel.Compile(source, "-g");
        Tool.RunChecked("ar", ["rcs", "lib/lib.a", "lib/util.o"], kernel.Dir);
        File.WriteAllText(kernel.Project, File.ReadAllText(kernel.Project)
            .Replace("<LdFlags>-m elf_x86_64 -z noexecstack</LdFlags>", $"<LdFlags>{ldFlags}</LdFlags>"));
        return kernel;
    }

    private static string BuildAndKeep(SyntheticKernel kernel, string name, Dictionary<string, string> properties, out BuildOutcome outcome)
    {
        outcome = kernel.Build(properties);
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        var kept = Path.Combine(kernel.Dir, name);
        File.Copy(kernel.Vmlinux, kept);
        File.Copy(kernel.SystemMap, kept + ".map");
        return kept;
    }

    private static List<string> Sections(string elf) =>
        Tool.RunChecked("readelf", ["-SW", elf]).Split('\n')
            .Select(l => l.TrimStart('[', ' ')).Where(l => l.Length > 0 && char.IsDigit(l[0]) && l.Contains("] "))
            .Select(l => l[(l.IndexOf("] ") + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]).ToList();

    // Every allocated section's bytes except the notes, which hold the build ID (its hash covers the debug sections too).
    private static byte[] LoadedBytes(string elf)
    {
        var image = elf + ".loaded";
        Tool.RunChecked("objcopy", ["-O", "binary", "--remove-section=.notes", elf, image]);
        return File.ReadAllBytes(image);
    }

    [TestMethod]
    public void StripDebug_KeepsEverySymbolAddressAndTheKallsymsTable_DropsOnlyDebugSections()
    {
        using var kernel = KernelWithDebugInfo();
        var full = BuildAndKeep(kernel, "full", [], out _);
        var stripped = BuildAndKeep(kernel, "stripped", new() { ["KbuildStripDebug"] = "true" }, out var outcome);

        Assert.IsTrue(outcome.RanTask("LinkVmlinux"), "switching KbuildStripDebug on must relink");
        StringAssert.Contains(outcome.ToString(), "--strip-debug");
        CollectionAssert.AreEqual(Tool.RunChecked("nm", ["-n", full]).Split('\n'), Tool.RunChecked("nm", ["-n", stripped]).Split('\n'));
        CollectionAssert.AreEqual(File.ReadAllLines(full + ".map"), File.ReadAllLines(stripped + ".map"));
        CollectionAssert.AreEqual(LoadedBytes(full), LoadedBytes(stripped), "loaded bytes (kallsyms table included) differ");
        Oracle.AssertConsistent(kernel);

        var fullSections = Sections(full);
        var strippedSections = Sections(stripped);
        CollectionAssert.Contains(fullSections, ".debug_info");
        CollectionAssert.AreEqual(fullSections.Where(s => !s.StartsWith(".debug_")).ToList(), strippedSections);
        Assert.IsTrue(new FileInfo(stripped).Length < new FileInfo(full).Length);
    }

    [TestMethod]
    [DataRow("Ld", "ld.lld-16")]
    [DataRow("KbuildUseLld", "true")]
    public void Lld_DropsTheGnuOnlyFlagsByName_AndKeepsTheTableConsistent(string property, string value)
    {
        using var kernel = KernelWithDebugInfo("-m elf_x86_64 -z noexecstack --no-warn-rwx-segments");
        var gnu = BuildAndKeep(kernel, "gnu", [], out var gnuOutcome);
        Assert.DoesNotContain("dropped GNU ld-only flags", gnuOutcome.ToString(), "GNU ld keeps every flag");

        var lld = BuildAndKeep(kernel, "lld", new() { [property] = value, ["KbuildLld"] = "ld.lld-16" }, out var outcome);

        Assert.IsTrue(outcome.RanTask("LinkVmlinux"), "switching the linker must relink");
        StringAssert.Contains(outcome.ToString(), "ld.lld-16: dropped GNU ld-only flags --no-warn-rwx-segments");
        Oracle.AssertConsistent(kernel);
        // Same symbols and types; addresses may differ (lld lays out orphans and padding its own way).
        CollectionAssert.AreEqual(File.ReadAllLines(gnu + ".map").Select(l => l[17..]).ToList(),
            File.ReadAllLines(lld + ".map").Select(l => l[17..]).ToList());
    }

    [TestMethod]
    public void UseLld_LinksWithLdLldFromPath()
    {
        using var kernel = KernelWithDebugInfo("-m elf_x86_64 -z noexecstack --no-warn-rwx-segments");
        var bin = Directory.CreateDirectory(Path.Combine(kernel.Dir, "bin")).FullName;
        File.CreateSymbolicLink(Path.Combine(bin, "ld.lld"), "/usr/bin/ld.lld-16");
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", bin + ":" + path);
        try
        {
            var outcome = kernel.Build(new Dictionary<string, string> { ["KbuildUseLld"] = "true" });
            Assert.IsTrue(outcome.Succeeded, outcome.ToString());
            StringAssert.Contains(outcome.ToString(), "KbuildUseLld=true");
            StringAssert.Contains(outcome.ToString(), "ld.lld: dropped GNU ld-only flags --no-warn-rwx-segments");
            Oracle.AssertConsistent(kernel);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }
}
