using Kbuild.Tasks;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Kbuild.Tests.Tasks;

/// <summary>
/// The cases of issue 25, each through the build's own steps (<see cref="BuildSteps"/>) on the sample: a damaged link
/// input is its own KB error naming it, never an AggregateException (MSB4018) or a hang; a damaged cache is ignored,
/// said once, and rewritten; an output that cannot be written is KB0009; the lock, the linker script and the linker's
/// messages as docs/reliability.md says.
/// </summary>
[TestClass]
public sealed class HostileBuildStepTests
{
    private static BuildSteps _good = null!;

    [ClassInitialize]
    public static void BuildTheSample(TestContext _) => _good = BuildSteps.Create(TestTemp.Directory("kbuild-hostile-"));

    private static BuildSteps Copy() => _good.CopyTo(TestTemp.Directory("kbuild-hostile-"));

    /// <summary>Runs the steps, failing the test on a hang (a FIFO opened for reading waits for a writer).</summary>
    private static StepsOutcome Run(BuildSteps steps)
    {
        var run = System.Threading.Tasks.Task.Run(steps.Run);
        Assert.IsTrue(run.Wait(TimeSpan.FromSeconds(30)), "the build's steps did not finish in 30 s");
        return run.Result;
    }

    private static BuildErrorEventArgs FailsWith(BuildSteps steps, string code)
    {
        var outcome = Run(steps);
        Assert.IsFalse(outcome.Succeeded, outcome.ToString());
        return outcome.Log.Errors.FirstOrDefault(e => e.Code == code) ?? throw new AssertFailedException($"no {code}: {outcome}");
    }

    private static void Damage(string path, string damage)
    {
        var bytes = File.Exists(path) ? File.ReadAllBytes(path) : [];
        switch (damage)
        {
            case "truncated": File.WriteAllBytes(path, bytes[..100]); break;
            case "empty": File.WriteAllBytes(path, []); break;
            case "EI_CLASS=3": bytes[4] = 3; File.WriteAllBytes(path, bytes); break;
            case "big-endian": bytes[5] = 2; File.WriteAllBytes(path, bytes); break;
            case "bad magic": File.WriteAllBytes(path, [.. "!<arcx>\n"u8, .. bytes[8..]]); break;
            default: FileSystemFaults.Replace(path, damage); break;
        }
    }

    [TestMethod]
    [DataRow("head.o", "truncated", "KB0004")]
    [DataRow("head.o", "empty", "KB0002")]
    [DataRow("head.o", "EI_CLASS=3", "KB0003")]
    [DataRow("head.o", "big-endian", "KB0003")]
    [DataRow("head.o", "symlink loop", "KB0001")]
    [DataRow("head.o", "directory", "KB0001")]
    [DataRow("head.o", "fifo", "KB0001")]
    [DataRow("main.o", "fifo", "KB0001")]
    [DataRow("lib.a", "empty", "KB0002")]
    [DataRow("lib.a", "bad magic", "KB0002")]
    public void DamagedLinkInput_IsItsOwnKBErrorNamingIt_AndThePreviousOutputsStay(string input, string damage, string code)
    {
        var steps = Copy();
        var vmlinux = File.ReadAllBytes(steps.Vmlinux);
        var path = Path.Combine(steps.Obj, input);
        Damage(path, damage);

        var error = FailsWith(steps, code);
        Assert.AreEqual(path, error.File);
        Assert.AreEqual(nameof(ReserveKallsyms), Run(steps).FailedTask);
        CollectionAssert.AreEqual(vmlinux, File.ReadAllBytes(steps.Vmlinux));
    }

    [TestMethod]
    public void BitcodeMemberInALibrary_IsKB0060NamingTheMember()
    {
        var steps = Copy();
        var source = Path.Combine(steps.Root, "bc.c");
        File.WriteAllText(source, "int bitcode_function(void) { return 1; }\n");
        if (Tool.Run("clang-16", ["-flto", "-c", "-o", Path.Combine(steps.Obj, "bc.o"), source]).ExitCode != 0)
            Assert.Inconclusive("clang-16 cannot compile bitcode here");
        Tool.RunChecked("ar", ["r", "lib.a", "bc.o"], steps.Obj);

        Assert.AreEqual($"{Path.Combine(steps.Obj, "lib.a")}(bc.o)", FailsWith(steps, "KB0060").File);
    }

    /// <summary>The inputs are read in parallel; the error is the first bad input's in link order, as its own code.</summary>
    [TestMethod]
    public void ParallelRead_ReportsTheFirstBadInputInLinkOrder()
    {
        var dir = TestTemp.Directory("kbuild-parallel-");
        var good = File.ReadAllBytes(Path.Combine(_good.Obj, "main.o"));
        var inputs = Enumerable.Range(0, 64).Select(i => Path.Combine(dir, $"o{i:00}.o")).ToArray();
        foreach (var input in inputs) File.WriteAllBytes(input, good);
        File.WriteAllBytes(inputs[9], good[..100]);
        File.WriteAllBytes(inputs[40], []);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var e = Assert.ThrowsExactly<Kbuild.Diagnostics.KbuildException>(() => LinkInputReader.Read(inputs));
            Assert.AreEqual(("KB0004", inputs[9]), (e.Code, e.File));
        }
    }

    [TestMethod]
    [DataRow("kallsyms.names.cache", "ff bytes")]
    [DataRow("kallsyms.names.cache", "two tokens swapped")]
    [DataRow("kallsyms.symbols.cache", "a bad class byte")]
    [DataRow("kallsyms.prediction.memo", "truncated")]
    [DataRow("kallsyms.reserve.o.key", "ff bytes")]
    [DataRow("kallsyms.symbols.cache", "directory")]
    public void DamagedCache_IsIgnoredSaidOnce_AndWrittenAgain(string cache, string damage)
    {
        var steps = Copy();
        var path = Path.Combine(steps.Obj, cache);
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "ff bytes": File.WriteAllBytes(path, [0xff, 0xff, 0xff, 0xff, 0xff]); break;
            case "truncated": File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]); break;
            case "two tokens swapped": File.WriteAllBytes(path, SwapTwoTokens(bytes)); break;
            case "a bad class byte": bytes[bytes.Length / 2] ^= 0x40; File.WriteAllBytes(path, bytes); break;
            default: FileSystemFaults.Replace(path, damage); break;
        }
        File.SetLastWriteTimeUtc(Path.Combine(steps.Obj, "main.o"), DateTime.UtcNow.AddSeconds(2));  // a relink reads the caches

        var outcome = Run(steps);
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        Assert.IsNull(steps.Inconsistency());
        Assert.AreEqual(1, outcome.Log.Messages.Count(m => m.StartsWith(path + " is damaged", StringComparison.Ordinal)), outcome.ToString());
        if (damage != "directory")
            Assert.IsFalse(Run(steps).Log.Messages.Any(m => m.Contains(" is damaged", StringComparison.Ordinal)), "the cache was not written again");
    }

    /// <summary>The names cache with two of its 256 tokens (each a 4-byte length and the token, after the header) of one
    /// length and different bytes swapped: a file of the right shape whose table would not decode.</summary>
    private static byte[] SwapTwoTokens(byte[] cache)
    {
        var reader = new BinaryReader(new MemoryStream(cache));
        reader.ReadString();
        var tokens = new List<(int At, int Length)>();
        for (var i = 0; i < 256; i++)
        {
            var length = reader.ReadInt32();
            tokens.Add(((int)reader.BaseStream.Position, length));
            reader.BaseStream.Position += length;
        }
        var (a, b) = tokens.SelectMany(x => tokens.Where(y => y.At > x.At && y.Length == x.Length && y.Length > 1
                && !cache.AsSpan(x.At, x.Length).SequenceEqual(cache.AsSpan(y.At, y.Length))).Select(y => (x, y))).First();
        var swapped = cache.ToArray();
        cache.AsSpan(a.At, a.Length).CopyTo(swapped.AsSpan(b.At));
        cache.AsSpan(b.At, b.Length).CopyTo(swapped.AsSpan(a.At));
        return swapped;
    }

    /// <summary>A room of 2^31-1 bytes in the rooms file: the reservation is made again (was an OverflowException, then
    /// KB0006 on every build).</summary>
    [TestMethod]
    public void InflatedRoom_MakesTheReservationAgain()
    {
        var steps = Copy();
        var rooms = File.ReadAllText(steps.Rooms);
        var first = rooms.IndexOf("\"Reserved\": ", StringComparison.Ordinal) + "\"Reserved\": ".Length;
        File.WriteAllText(steps.Rooms, rooms[..first] + "2147483647" + rooms[rooms.IndexOf(',', first)..]);
        File.SetLastWriteTimeUtc(Path.Combine(steps.Obj, "main.o"), DateTime.UtcNow.AddSeconds(2));

        var outcome = Run(steps);
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        Assert.IsNull(steps.Inconsistency());
        Assert.AreEqual(1, outcome.Log.Messages.Count(m => m.StartsWith(steps.Rooms + " changed since", StringComparison.Ordinal)), outcome.ToString());
        Assert.IsTrue(Run(steps).Succeeded);
    }

    [TestMethod]
    [DataRow("obj/kallsyms.reserve.o", "directory", "kallsyms.reserve.o")]
    [DataRow("out/vmlinux", "directory", "vmlinux")]
    [DataRow("out", "a file", ".linked")]
    [DataRow("out", "read-only", ".linked")]
    public void OutputThatCannotBeWritten_IsKB0009NamingIt(string relative, string fault, string named)
    {
        var steps = Copy();
        var path = Path.Combine(steps.Root, relative);
        try
        {
            switch (fault)
            {
                case "a file": Directory.Delete(path, recursive: true); File.WriteAllText(path, "x"); break;
                case "read-only": if (!FileSystemFaults.MakeReadOnly(path)) Assert.Inconclusive("cannot make a directory read-only here"); break;
                default: FileSystemFaults.Replace(path, fault); break;
            }
            StringAssert.Contains(FailsWith(steps, "KB0009").File, named);
        }
        finally
        {
            if (fault == "read-only") FileSystemFaults.MakeWritable(path);
        }
    }

    [TestMethod]
    public void FullDisk_IsAKBErrorNamingTheFile_AndTheNextBuildSucceeds()
    {
        var root = TestTemp.Directory("kbuild-full-");
        using var disk = FileSystemFaults.SmallDisk(root, 4 << 20) ?? throw new AssertInconclusiveException("cannot mount a tmpfs here");
        var steps = _good.CopyTo(root);
        File.SetLastWriteTimeUtc(Path.Combine(steps.Obj, "main.o"), DateTime.UtcNow.AddSeconds(2));
        FileSystemFaults.Fill(root, 8 << 10);

        var outcome = Run(steps);
        Assert.IsFalse(outcome.Succeeded, outcome.ToString());
        // Whichever step meets the full disk says so: ours (KB0009, KB0008 naming the file) or the linker's (KB0303, then KB0305).
        Assert.IsTrue(outcome.Log.Errors.Any(e => e.Code is "KB0009" or "KB0008" or "KB0305" && e.File != null), outcome.ToString());
        Assert.IsTrue(outcome.Log.Errors.Any(e => (e.Message ?? "").Contains("No space left on device", StringComparison.Ordinal)), outcome.ToString());
        FileSystemFaults.Unfill(root);
        Assert.IsTrue(Run(steps).Succeeded);
        Assert.IsNull(steps.Inconsistency());
    }

    [TestMethod]
    [DataRow("directory")]
    [DataRow("fifo")]
    [DataRow("read-only obj/")]
    public void LockFileThatCannotBeUsed_IsKB0525(string fault)
    {
        var steps = Copy();
        try
        {
            if (fault == "read-only obj/")
            {
                File.Delete(steps.LockFile);
                if (!FileSystemFaults.MakeReadOnly(steps.Obj)) Assert.Inconclusive("cannot make a directory read-only here");
            }
            else FileSystemFaults.Replace(steps.LockFile, fault);
            Assert.AreEqual(steps.LockFile, FailsWith(steps, "KB0525").File);
        }
        finally
        {
            FileSystemFaults.MakeWritable(steps.Obj);
        }
    }

    [TestMethod]
    public void TwentyThousandNestedKeeps_AreKB0320_NotAStackOverflow()
    {
        var steps = Copy();
        File.WriteAllText(steps.Script, File.ReadAllText(steps.Script).Replace("*(.got)",
            string.Concat(Enumerable.Repeat("KEEP(", 20000)) + "*(.got)" + new string(')', 20000)));
        StringAssert.Contains(FailsWith(steps, "KB0320").Message, "nested");
    }

    [TestMethod]
    public void ParenthesisInAnAssertMessage_IsNotStructure()
    {
        var steps = Copy();
        File.WriteAllText(steps.Script, File.ReadAllText(steps.Script).Replace("Unexpected GOT entries detected!", "Unexpected GOT entries (a ( or a { too"));
        var outcome = Run(steps);
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        Assert.IsNull(steps.Inconsistency());
    }

    /// <summary>GNU ld's reasons for failing a link over a /DISCARD/ carry no "error:"; they are errors all the same,
    /// shown at any verbosity, and KB0305 points at them.</summary>
    [TestMethod]
    public void FailedLink_ReportsTheLinkersReasonsAsErrors()
    {
        var steps = Copy();
        File.WriteAllText(steps.Script, File.ReadAllText(steps.Script).Replace("SECTIONS\n{", "SECTIONS\n{\n\t/DISCARD/ : { *(.rodata) }"));

        var outcome = Run(steps);
        Assert.AreEqual(nameof(LinkVmlinux), outcome.FailedTask, outcome.ToString());
        Assert.IsTrue(outcome.Log.Errors.Any(e => e.Code == "KB0303" && (e.Message ?? "").Contains("discarded section", StringComparison.Ordinal)), outcome.ToString());
        StringAssert.Contains(outcome.Log.Errors.Single(e => e.Code == "KB0305").Message ?? "", "see the linker's messages above");
    }

    [TestMethod]
    public void Leftovers_AreReportedOnlyWhenThereWasOneToRemove()
    {
        var steps = Copy();
        var leftover = Path.Combine(steps.Obj, ".kallsyms.reserve.o.4242.0123456789abcdef0123456789abcdef.tmp");
        LockBuild Lock() => new()
        {
            BuildEngine = new RecordingBuildEngine(), LockFiles = [new TaskItem(steps.LockFile)], Leftovers = [new TaskItem(leftover)],
        };
        var nothing = Lock();
        Assert.IsTrue(nothing.Execute());
        Assert.IsFalse(((RecordingBuildEngine)nothing.BuildEngine).Messages.Any(m => m.Contains("removed", StringComparison.Ordinal)));
        new UnlockBuild { BuildEngine = new RecordingBuildEngine(), LockFiles = [new TaskItem(steps.LockFile)] }.Execute();

        File.WriteAllText(leftover, "half a reservation");
        var one = Lock();
        Assert.IsTrue(one.Execute());
        CollectionAssert.Contains(((RecordingBuildEngine)one.BuildEngine).Messages, $"removed {leftover}, left by an interrupted build");
        Assert.IsFalse(File.Exists(leftover));
    }
}
