using Kbuild.IO;
using Kbuild.Diagnostics;

namespace Kbuild.Tests.IO;

[TestClass]
public sealed class AtomicOutputTests
{
    private static string NewDir(string name) => TestTemp.Directory($"kbuild-io-{name}-");

    [TestMethod]
    public void AtomicOutput_AFailedWriterLeavesThePreviousFileAndNoTemporary()
    {
        var dir = NewDir("atomic");
        var path = Path.Combine(dir, "vmlinux");
        File.WriteAllText(path, "previous");

        var e = Assert.ThrowsExactly<KbuildException>(() => AtomicOutput.Write(path, temp =>
        {
            File.WriteAllText(temp, "half");
            throw new IOException("interrupted");
        }));
        Assert.AreEqual(ErrorCodes.OutputUnwritable, e.Code);
        Assert.AreEqual(path, e.File);

        Assert.AreEqual("previous", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(dir));
        Directory.Delete(dir, true);
    }
}
