using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// A relink reuses what the build before left in obj/ (the inputs' symbols, the reservation object, the compressed
/// names): whatever changed, the result is the vmlinux and System.map a clean build makes, byte for byte.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class IncrementalRelinkTests
{
    private static BuildOutcome BuildOk(SyntheticKernel kernel, Dictionary<string, string>? properties = null, string target = "Build")
    {
        var outcome = kernel.Build(properties, target);
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        return outcome;
    }

    /// <summary>Builds after <paramref name="change"/> on top of the last build, then from clean; both must be equal.</summary>
    private static BuildOutcome AssertRelinkIsACleanBuild(SyntheticKernel kernel, Action change, Dictionary<string, string>? properties = null)
    {
        change();
        var relink = BuildOk(kernel, properties);
        Assert.IsTrue(relink.RanTask("LinkVmlinux"), relink.ToString());
        var (vmlinux, map) = (File.ReadAllBytes(kernel.Vmlinux), File.ReadAllBytes(kernel.SystemMap));
        if (properties?.ContainsKey("KernelVersion") != true) Oracle.AssertConsistent(kernel);  // the oracle knows 6.12's table

        BuildOk(kernel, properties, "Rebuild");
        CollectionAssert.AreEqual(File.ReadAllBytes(kernel.Vmlinux), vmlinux, "the relink's vmlinux is not the clean build's");
        CollectionAssert.AreEqual(File.ReadAllBytes(kernel.SystemMap), map, "the relink's System.map is not the clean build's");
        return relink;
    }

    private static bool KeptReservation(BuildOutcome outcome) => outcome.Messages.Any(m => m.Contains("kept (", StringComparison.Ordinal));

    [TestMethod]
    public void TouchedObject_KeepsTheReservation_AndEqualsACleanBuild()
    {
        using var kernel = new SyntheticKernel();
        BuildOk(kernel);
        var relink = AssertRelinkIsACleanBuild(kernel, () => kernel.Touch("data.o"));
        Assert.IsTrue(KeptReservation(relink), relink.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(kernel.Dir, "obj", "kallsyms.symbols.cache")));
        Assert.IsTrue(File.Exists(Path.Combine(kernel.Dir, "obj", "kallsyms.names.cache")));
        Assert.IsTrue(File.Exists(Path.Combine(kernel.Dir, "obj", "kallsyms.prediction.memo")));
        BuildOk(kernel, target: "Clean");
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(kernel.Dir, "obj"), "kallsyms.*"), "Clean leaves no cache a clean build could use");
    }

    [TestMethod]
    public void RenamedSymbol_AddedSymbol_NewFlag_EachEqualsACleanBuild()
    {
        using var kernel = new SyntheticKernel();
        BuildOk(kernel);
        void Recompile(string code)
        {
            kernel.Write("data.c", code);
            kernel.Compile("data.c");
            kernel.Touch("data.o");
        }

        var renamed = AssertRelinkIsACleanBuild(kernel, () => Recompile("""
            const char banner[] = "synthetic kernel";
            int table[16] = { 1 };
            static int local_data = 5;
            int get_local_renamed(void) { return local_data + table[2]; }
            """));
        Assert.IsFalse(KeptReservation(renamed), "a renamed symbol needs a new reservation\n" + renamed);
        Assert.Contains("get_local_renamed", File.ReadAllText(kernel.SystemMap));

        var added = AssertRelinkIsACleanBuild(kernel, () => Recompile("""
            const char banner[] = "synthetic kernel";
            int table[16] = { 1 };
            static int local_data = 5;
            int get_local_renamed(void) { return local_data + table[2]; }
            int one_more(void) { return 42; }
            """));
        Assert.IsFalse(KeptReservation(added), added.ToString());

        var flag = new Dictionary<string, string> { ["LdFlagsVmlinux"] = "--build-id=md5" };
        AssertRelinkIsACleanBuild(kernel, () => { }, flag);
    }

    [TestMethod]
    public void RemovedObject_AndAnotherKernelVersion_EachEqualsACleanBuild()
    {
        using var kernel = new SyntheticKernel();
        kernel.Write("extra.c", "int extra_function(void) { return 9; } int extra_data = 3;");
        kernel.Compile("extra.c");
        BuildOk(kernel, new Dictionary<string, string> { ["ExtraObjects"] = "extra.o" });
        Assert.Contains("extra_function", File.ReadAllText(kernel.SystemMap));

        AssertRelinkIsACleanBuild(kernel, () => { });
        Assert.DoesNotContain("extra_function", File.ReadAllText(kernel.SystemMap));

        var version = AssertRelinkIsACleanBuild(kernel, () => { }, new Dictionary<string, string> { ["KernelVersion"] = "6.1" });
        Assert.IsFalse(KeptReservation(version), "another table layout needs a new reservation\n" + version);
    }
}
