using System.Text.RegularExpressions;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>samples/many-kernels: the 6.1 and 6.12 fixtures linked by one `dotnet build kernels.proj -m`, each on its own node.</summary>
[TestClass]
[DoNotParallelize]
public sealed class ManyKernelsTests
{
    [TestMethod]
    public void OneCommand_LinksBothKernelsInParallel_AndVerifiesThem()
    {
        foreach (var (version, config) in new[] { ("6.1", "A"), ("6.12", "B") }) KernelFixtures.BuildDir(version, config);
        using var sample = new SampleCopy("many-kernels");
        var kernels = Path.Combine(sample.Dir, "kernels.proj");
        var environment = new Dictionary<string, string> { ["KBUILD_FIXTURES"] = KernelFixtures.Root, ["MSBUILDDISABLENODEREUSE"] = "1" };

        // The kernel's make runs in the shared fixture build directories: under the fixtures' lock.
        var build = Tool.Run("flock", ["/tmp/kbuild-kernel.lock", "dotnet", "build", kernels, "-m:2", "-nodeReuse:false", "-v:n"],
            sample.Dir, environment: environment);
        var output = build.StdOut + build.StdErr;
        Assert.AreEqual(0, build.ExitCode, output);

        Assert.AreEqual(2, Regex.Matches(output, "Kbuild.Sdk: 1 link;").Count, output);
        var nodes = Regex.Matches(output, @"is building "".*/linux-[0-9.]+/kernel\.kproj"" \([\d:]+\) on node (\d+) \(Build target")
            .Select(m => m.Groups[1].Value).Distinct().Count();
        Assert.AreEqual(2, nodes, "the two kernels should build on two nodes at once:\n" + output);
        foreach (var version in new[] { "6.1", "6.12" })
        {
            var vmlinux = Path.Combine(sample.Dir, $"linux-{version}", "out", "vmlinux");
            Assert.IsTrue(File.Exists(vmlinux), output);
            StringAssert.Contains(output, $"kernel {version}.");
        }

        var verify = Tool.Run("dotnet", ["build", kernels, "-m:2", "-nodeReuse:false", "-t:KallsymsVerify"], sample.Dir, environment: environment);
        Assert.AreEqual(0, verify.ExitCode, verify.StdOut + verify.StdErr);
        Assert.AreEqual(2, Regex.Matches(verify.StdOut, "table matches its").Count, verify.StdOut);
    }
}
