using Kbuild.Diagnostics;
using Kbuild.IO;

namespace Kbuild.Tests.IO;

[TestClass]
public sealed class BackgroundCopyTests
{
    private static string NewDir() => TestTemp.Directory("kbuild-copy-");

    [TestMethod]
    public void CommittedCopyReplacesTheDestinationWithTheModifiedCopy()
    {
        var dir = NewDir();
        var source = Path.Combine(dir, "image");
        var destination = Path.Combine(dir, "out", "vmlinux");
        File.WriteAllBytes(source, [1, 2, 3, 4]);

        using (var staged = BackgroundCopy.Start(source, destination))
        {
            using (var file = new FileStream(staged.Complete(), FileMode.Open, FileAccess.ReadWrite)) file.WriteByte(9);
            staged.Commit();
        }

        CollectionAssert.AreEqual(new byte[] { 9, 2, 3, 4 }, File.ReadAllBytes(destination));
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 4 }, File.ReadAllBytes(source), "the source is never modified");
        Assert.HasCount(1, Directory.GetFiles(Path.GetDirectoryName(destination)!), "no temporary file left");
    }

    [TestMethod]
    public void UncommittedCopyLeavesThePreviousDestinationAndNoTemporaryFile()
    {
        var dir = NewDir();
        var source = Path.Combine(dir, "image");
        var destination = Path.Combine(dir, "vmlinux");
        File.WriteAllBytes(source, new byte[1 << 20]);
        File.WriteAllText(destination, "previous kernel");

        using (BackgroundCopy.Start(source, destination)) { }

        Assert.AreEqual("previous kernel", File.ReadAllText(destination));
        Assert.HasCount(2, Directory.GetFiles(dir));
    }

    [TestMethod]
    public void MissingSourceIsAClearErrorNamingIt()
    {
        var dir = NewDir();
        using var staged = BackgroundCopy.Start(Path.Combine(dir, "missing"), Path.Combine(dir, "vmlinux"));
        var error = Assert.ThrowsExactly<KbuildException>(() => staged.Complete());
        Assert.AreEqual(ErrorCodes.FileUnreadable, error.Code);
        Assert.AreEqual(Path.Combine(dir, "missing"), error.File);
    }

    [TestMethod]
    public void UnwritableDestinationIsAClearErrorNamingIt()
    {
        var dir = NewDir();
        var source = Path.Combine(dir, "image");
        File.WriteAllBytes(source, [1]);
        var destination = Path.Combine(source, "vmlinux"); // its directory would have to be a regular file
        using var staged = BackgroundCopy.Start(source, destination);
        var error = Assert.ThrowsExactly<KbuildException>(() => staged.Complete());
        Assert.AreEqual(ErrorCodes.OutputUnwritable, error.Code);
        Assert.AreEqual(destination, error.File);
    }
}
