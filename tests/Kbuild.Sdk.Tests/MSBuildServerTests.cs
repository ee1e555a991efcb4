using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// Through the MSBuild server (DOTNET_CLI_USE_MSBUILD_SERVER=1, the default from the .NET 11 SDK) one MSBuild process
/// runs build after build with the task assembly loaded in it, as from the package: nothing of one build may reach the
/// next. Each kernel is byte for byte its plain build's, and a no-op links nothing.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class MSBuildServerTests
{
    [TestMethod]
    public void ThroughTheMSBuildServer_EachKernelIsItsPlainBuild_AndANoOpLinksNothing()
    {
        using var first = new SyntheticKernel();
        using var second = new SyntheticKernel();
        second.Write("extra.c", "int extra_counter;\nint extra_function(int x) { return x + extra_counter; }");
        second.Compile("extra.c");
        var kernels = new[] { (Kernel: first, Properties: new Dictionary<string, string>()),
                              (Kernel: second, Properties: new Dictionary<string, string> { ["ExtraObjects"] = "extra.o" }) };

        // The plain builds (in-repo: tasks in a task host) are the reference; they also build the task assembly the server loads.
        var expected = new List<(byte[] Vmlinux, byte[] SystemMap)>();
        foreach (var (kernel, properties) in kernels)
        {
            var plain = kernel.Build(properties);
            Assert.IsTrue(plain.Succeeded, plain.ToString());
            expected.Add((File.ReadAllBytes(kernel.Vmlinux), File.ReadAllBytes(kernel.SystemMap)));
            Directory.Delete(Path.Combine(kernel.Dir, "out"), recursive: true);
            Directory.Delete(Path.Combine(kernel.Dir, "obj"), recursive: true);
        }

        // A server of earlier builds may hold an older build of the same assembly path: start a fresh one.
        BuildRunner.ShutDownMSBuildServer();
        Assert.IsFalse(MSBuildServerIsRunning(), "an MSBuild server is still running after its shutdown");
        var inProcTasks = new[] { "-p:KbuildTasksFromSource=false",
            $"-p:KbuildTasksAssembly={RepoPaths.Root}/src/Kbuild.Tasks/bin/Release/net10.0/Kbuild.Tasks.dll" };
        try
        {
            for (var i = 0; i < kernels.Length; i++)
            {
                var (kernel, properties) = kernels[i];
                string[] args = [.. inProcTasks, .. properties.Select(p => $"-p:{p.Key}={p.Value}")];
                var (exitCode, output) = BuildRunner.DotnetBuildThroughMSBuildServer(kernel.Project, args);
                Assert.AreEqual(0, exitCode, output);
                Assert.IsTrue(MSBuildServerIsRunning(), "the build did not go through the MSBuild server:\n" + output);
                CollectionAssert.AreEqual(expected[i].Vmlinux, File.ReadAllBytes(kernel.Vmlinux), $"kernel {i + 1}: vmlinux differs from its plain build");
                CollectionAssert.AreEqual(expected[i].SystemMap, File.ReadAllBytes(kernel.SystemMap), $"kernel {i + 1}: System.map differs from its plain build");
            }
            var (noOpExit, noOp) = BuildRunner.DotnetBuildThroughMSBuildServer(first.Project, inProcTasks);
            Assert.AreEqual(0, noOpExit, noOp);
            StringAssert.Contains(noOp, "Skipping target \"_KbuildLinkCore\" because all output files are up-to-date");
        }
        finally
        {
            BuildRunner.ShutDownMSBuildServer();
        }
    }

    // The server is an MSBuild in node mode 8.
    private static bool MSBuildServerIsRunning() =>
        RunningProcess.All().Any(p => p.Arguments().Any(a => a.TrimStart('-', '/') == "nodemode:8"));
}
