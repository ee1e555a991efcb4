using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>The packed SDK, resolved by NuGet from a folder feed, builds a project outside the repository.</summary>
[TestClass]
[DoNotParallelize]
public sealed class PackageTests
{
    [TestMethod]
    public void PackedSdk_BuildsAProjectOutsideTheRepository()
    {
        using var kernel = new SyntheticKernel();
        var feed = Path.Combine(kernel.Dir, "feed");
        Tool.RunChecked("dotnet", ["pack", Path.Combine(RepoPaths.Root, "src", "Kbuild.Sdk"), "-nodeReuse:false",
            $"-p:PackageOutputPath={feed}/"]);
        var version = File.ReadAllText(Path.Combine(RepoPaths.Root, "Directory.Build.props"))
            .Split("<KbuildVersion>")[1].Split('<')[0];
        var package = Path.Combine(feed, $"Kbuild.Sdk.{version}.nupkg");
        using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            CollectionAssert.IsSubsetOf(new[] { "Sdk/Sdk.props", "Sdk/Sdk.targets", "tasks/net10.0/Kbuild.Tasks.dll" }, entries);
            Assert.IsFalse(entries.Any(e => e.StartsWith("lib/")), "a NoTargets package carries no assembly of its own: " + string.Join(", ", entries));
        }

        // A private packages folder, so no earlier Kbuild.Sdk of the same version in ~/.nuget shadows this one.
        kernel.Write("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="packages" /></config>
              <packageSources><clear /><add key="local" value="{feed}" /></packageSources>
            </configuration>
            """);
        // The version pinned once for every project below this folder, as docs/sdk.md shows.
        kernel.Write("global.json", $$"""
            { "msbuild-sdks": { "Kbuild.Sdk": "{{version}}" } }
            """);
        kernel.Write("kernel.kproj", """
            <Project Sdk="Kbuild.Sdk">
              <PropertyGroup>
                <VmlinuxLinkerScript>kernel.lds</VmlinuxLinkerScript>
                <LdFlags>-m elf_x86_64 -z noexecstack</LdFlags>
                <KallsymsAllSymbols>true</KallsymsAllSymbols>
              </PropertyGroup>
              <ItemGroup>
                <VmlinuxObject Include="start.o;data.o" />
                <VmlinuxLibrary Include="lib/lib.a" />
              </ItemGroup>
            </Project>
            """);

        // NUGET_PACKAGES (set on some CI machines) would override the config's folder.
        var ownPackagesFolder = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = null };
        var (exitCode, output) = BuildRunner.DotnetBuild(kernel.Project, ownPackagesFolder);

        Assert.AreEqual(0, exitCode, output);
        Assert.IsTrue(Directory.Exists(Path.Combine(kernel.Dir, "packages", "kbuild.sdk", version, "tasks")), output);
        Oracle.AssertConsistent(kernel);
        var (_, noOp) = BuildRunner.DotnetBuild(kernel.Project, ownPackagesFolder);
        StringAssert.Contains(noOp, "Skipping target \"_KbuildLinkCore\" because all output files are up-to-date");
    }
}
