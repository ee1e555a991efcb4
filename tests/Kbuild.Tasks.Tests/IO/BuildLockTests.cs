using System.Diagnostics;
using Kbuild.Diagnostics;
using Kbuild.IO;

namespace Kbuild.Tests.IO;

/// <summary>
/// The build lock on its own, with real processes as owners: a lock held by a live build is not taken over (the waiter is
/// told once, then KB0520), one whose owner is gone is taken over at once, and so is one naming a PID that now belongs
/// to another process (its start time differs).
/// </summary>
[TestClass]
public sealed class BuildLockTests
{
    private static string LockFile() => Path.Combine(TestTemp.Directory("build-lock-"), "obj", ".kbuild.lock");

    private static Process Sleeper() => Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;

    private static BuildProcess Holder(string lockFile) => BuildProcess.Parse(File.ReadAllText(lockFile))!;

    [TestMethod]
    public void ALockHeldByALiveBuild_IsNotTakenOver()
    {
        var lockFile = LockFile();
        using var other = Sleeper();
        try
        {
            var live = BuildProcess.Of(other.Id)!;
            BuildLock.Acquire(lockFile, live, TimeSpan.Zero, _ => { });
            var told = new List<string>();
            var e = Assert.ThrowsExactly<KbuildException>(() => BuildLock.Acquire(lockFile, BuildProcess.Current(), TimeSpan.FromSeconds(1), told.Add));
            Assert.AreEqual(ErrorCodes.BuildLockTimeout, e.Code);
            Assert.AreEqual(lockFile, e.File);
            Assert.AreEqual(1, told.Count, "the wait is said once");
            StringAssert.Contains(told[0], $"process {other.Id}");
            Assert.AreEqual(live, Holder(lockFile), "the live build keeps its lock");
        }
        finally
        {
            other.Kill();
            other.WaitForExit();
        }
    }

    [TestMethod]
    public void ALockWhoseOwnerIsGone_IsTakenOverAtOnce()
    {
        var lockFile = LockFile();
        BuildProcess dead;
        using (var killed = Sleeper())
        {
            dead = BuildProcess.Of(killed.Id)!;
            BuildLock.Acquire(lockFile, dead, TimeSpan.Zero, _ => { });
            killed.Kill();
            killed.WaitForExit();
        }
        Assert.IsFalse(dead.IsAlive);
        var told = new List<string>();
        BuildLock.Acquire(lockFile, BuildProcess.Current(), TimeSpan.Zero, told.Add);
        Assert.AreEqual(BuildProcess.Current(), Holder(lockFile));
        Assert.AreEqual(0, told.Count, "nothing to wait for");
    }

    [TestMethod]
    public void ALockNamingAReusedPid_IsTakenOver()
    {
        var lockFile = LockFile();
        using var other = Sleeper();
        try
        {
            var live = BuildProcess.Of(other.Id)!;
            var earlierOwnerOfThatPid = live with { StartTime = live.StartTime - 1 };
            BuildLock.Acquire(lockFile, earlierOwnerOfThatPid, TimeSpan.Zero, _ => { });
            BuildLock.Acquire(lockFile, BuildProcess.Current(), TimeSpan.Zero, _ => { });
            Assert.AreEqual(BuildProcess.Current(), Holder(lockFile));
        }
        finally
        {
            other.Kill();
            other.WaitForExit();
        }
    }

    [TestMethod]
    public void ReleaseFreesOnlyTheOwnersLock()
    {
        var lockFile = LockFile();
        using var other = Sleeper();
        try
        {
            var live = BuildProcess.Of(other.Id)!;
            BuildLock.Acquire(lockFile, live, TimeSpan.Zero, _ => { });
            BuildLock.Release(lockFile, BuildProcess.Current());
            Assert.AreEqual(live, Holder(lockFile), "another build's release frees nothing");
            BuildLock.Release(lockFile, live);
            Assert.AreEqual("", File.ReadAllText(lockFile), "free: the file stays, empty");
            BuildLock.Acquire(lockFile, BuildProcess.Current(), TimeSpan.Zero, _ => { });
            BuildLock.Acquire(lockFile, BuildProcess.Current(), TimeSpan.Zero, _ => { });  // its own lock: taken again
        }
        finally
        {
            other.Kill();
            other.WaitForExit();
        }
    }
}
