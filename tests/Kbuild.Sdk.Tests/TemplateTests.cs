using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// `dotnet new kproj` from the packed template package, installed into a private template hive (the user's
/// templates are not touched), instantiated against a make-built fixture and built with the SDK it pins, through the
/// VS Code tasks it writes.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class TemplateTests
{
    [TestMethod]
    public void Kproj_FromTheFolderFeed_WritesAProjectThatBuildsAFixtureKernel()
    {
        var build = KernelFixtures.BuildDir("6.1", "A");
        var source = KernelFixtures.SourceDir("6.1");
        var dir = Directory.CreateTempSubdirectory("kbuild-template-").FullName;
        try
        {
            var feed = Path.Combine(dir, "feed");
            foreach (var project in new[] { "Kbuild.Sdk", "Kbuild.Sdk.Templates" })
                Tool.RunChecked("dotnet", ["pack", Path.Combine(RepoPaths.Root, "src", project), "-nodeReuse:false", $"-p:PackageOutputPath={feed}/"]);
            var version = File.ReadAllText(Path.Combine(RepoPaths.Root, "Directory.Build.props")).Split("<KbuildVersion>")[1].Split('<')[0];

            var hive = Path.Combine(dir, "hive");
            var cli = new Dictionary<string, string> { ["DOTNET_CLI_HOME"] = Path.Combine(dir, "cli-home") };
            Tool.RunChecked("dotnet", ["new", "install", Path.Combine(feed, $"Kbuild.Sdk.Templates.{version}.nupkg"), "--debug:custom-hive", hive], environment: cli);
            var kernel = Path.Combine(dir, "kernel");
            Tool.RunChecked("dotnet", ["new", "kproj", "--kernel-build-dir", build, "--kernel-source-dir", source, "-o", kernel,
                "--debug:custom-hive", hive], environment: cli);

            var kproj = File.ReadAllText(Path.Combine(kernel, "kernel.kproj"));
            StringAssert.StartsWith(kproj, "<Project Sdk=\"Kbuild.Sdk\">");
            StringAssert.Contains(kproj, $"<KernelBuildDir>{build}</KernelBuildDir>");
            StringAssert.Contains(kproj, "<!-- Common settings");
            StringAssert.Contains(File.ReadAllText(Path.Combine(kernel, "global.json")), $"\"Kbuild.Sdk\": \"{version}\"");
            StringAssert.Contains(File.ReadAllText(Path.Combine(kernel, "nuget.config")), $"value=\"{feed}\"");
            Assert.AreEqual(File.ReadAllText(Path.Combine(RepoPaths.Root, "samples", "minikernel", "Directory.Build.rsp")),
                File.ReadAllText(Path.Combine(kernel, "Directory.Build.rsp")), "the terminal logger's verbosity, as the sample sets it");

            // The VS Code tasks as tasks.json runs them, linking beside the fixture rather than over make's reference vmlinux;
            // the kernel's make runs in the shared build directory, so under the fixtures' lock. A private packages folder:
            // this very package.
            var image = Path.Combine(dir, "image", "vmlinux");
            var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(dir, "packages"), ["MSBUILDDISABLENODEREUSE"] = "1" };
            var tasks = VsCodeTasksTests.Tasks(Path.Combine(kernel, ".vscode", "tasks.json"));
            string RunTask(string label)
            {
                var task = tasks.Single(t => t.GetProperty("label").GetString() == label);
                var run = Tool.Run("flock", ["/tmp/kbuild-kernel.lock", "dotnet", .. VsCodeTasksTests.Args(task, kernel), "-nodeReuse:false",
                    $"-p:VmlinuxOutputPath={image}"], kernel, environment: environment);
                Assert.AreEqual(0, run.ExitCode, $"{label}: {run.StdOut}{run.StdErr}");
                return run.StdOut;
            }
            StringAssert.Contains(File.ReadAllText(Path.Combine(kernel, ".vscode", "tasks.json")), $"[\"autoDetect\", \"{build}\"]",
                "compiler messages' paths are make's, relative to the build directory");
            StringAssert.Contains(RunTask("kernel: build"), "Kbuild.Sdk: 1 link");
            Assert.IsTrue(Directory.Exists(Path.Combine(dir, "packages", "kbuild.sdk", version)), "the SDK did not come from the folder feed");
            StringAssert.Contains(RunTask("kernel: relink without make"), "Kbuild.Sdk: 0 links");
            StringAssert.Contains(RunTask("kernel: kallsyms dump"), " T start_kernel");

            var verify = Tool.Run("dotnet", ["build", Path.Combine(kernel, "kernel.kproj"), "-nodeReuse:false", "-t:KallsymsVerify", $"-p:Vmlinux={image}"],
                kernel, environment: environment);
            Assert.AreEqual(0, verify.ExitCode, verify.StdOut + verify.StdErr);
            StringAssert.Contains(verify.StdOut, "table matches its");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
