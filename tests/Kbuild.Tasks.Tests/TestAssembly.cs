namespace Kbuild.Tasks.Tests;

[TestClass]
public static class TestAssembly
{
    [AssemblyCleanup]
    public static void DeleteTempDirs() => Kbuild.Tests.TestTemp.DeleteRoot();
}
