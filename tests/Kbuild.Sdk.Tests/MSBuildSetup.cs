using Microsoft.Build.Locator;

namespace Kbuild.Sdk.Tests;

[TestClass]
public static class MSBuildSetup
{
    /// <summary>Binds Microsoft.Build to the installed SDK before any test method touching it is compiled.</summary>
    [AssemblyInitialize]
    public static void RegisterMSBuild(TestContext _)
    {
        Environment.SetEnvironmentVariable("MSBUILDDISABLENODEREUSE", "1");
        Environment.SetEnvironmentVariable("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
        if (!MSBuildLocator.IsRegistered) MSBuildLocator.RegisterDefaults();
    }

    [AssemblyCleanup]
    public static void DeleteTempDirs() => Kbuild.Tests.TestTemp.DeleteRoot();
}
