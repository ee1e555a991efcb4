using System.Text.RegularExpressions;
using Kbuild.Table;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// Hostile input on the path the build really takes (issue 25): real builds of samples/minikernel after damaging what
/// they read. What only a whole build shows — the targets' up-to-date checks, MSBuild's own tasks, a task host that
/// crashes or hangs, the default verbosity — is tested here by name, and a seeded fuzz damages any file of the build
/// and builds (KBUILD_FUZZ_SECONDS, default 60; KBUILD_FUZZ_SEED, default 12). The steps themselves are fuzzed much
/// faster through their Execute (Kbuild.Tasks.Tests, Tasks/).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed partial class HostileBuildTests
{
    private static SampleCopy BuiltSample()
    {
        var sample = new SampleCopy();
        var outcome = BuildRunner.Build(sample.Project);
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        return sample;
    }

    private static string? Inconsistency(SampleCopy sample) =>
        BuildOutputs.Inconsistency(sample.Vmlinux, sample.SystemMap, "6.12", new KallsymsOptions { AllSymbols = true });

    private static string Obj(SampleCopy sample, string name) => Path.Combine(sample.Dir, "obj", name);

    /// <summary>A `dotnet build` that must end (a FIFO read blocks, a task host dies) and report no MSBuild-level error.</summary>
    private static (int ExitCode, string Output) DotnetBuild(SampleCopy sample, params string[] extraArgs)
    {
        var (exitCode, output) = BuildRunner.DotnetBuild(sample.Project, new Dictionary<string, string?>(), TimeSpan.FromMinutes(2), extraArgs);
        Assert.IsFalse(MSBuildError().IsMatch(output), "an MSBuild error (a task crashed): " + output);
        return (exitCode, output);
    }

    /// <summary>Garbage over an output newer than every input: the step that makes it runs again (a garbage vmlinux
    /// was KB0002 from WriteSystemMap on every build until an input changed; a garbage reservation was linked).</summary>
    [TestMethod]
    [DataRow("out/vmlinux", "LinkVmlinux", null)]
    [DataRow("out/System.map", "WriteSystemMap", null)]
    [DataRow("obj/kallsyms.reserve.o", "LinkVmlinux", "kallsyms.reserve.o changed since the reservation wrote it")]
    public void GarbageOutputNewerThanItsInputs_IsMadeAgain(string output, string task, string? said)
    {
        using var sample = BuiltSample();
        File.WriteAllText(Path.Combine(sample.Dir, output), "garbage\n");

        var outcome = BuildRunner.Build(sample.Project);
        Assert.IsTrue(outcome.Succeeded && outcome.RanTask(task), outcome.ToString());
        if (said != null) StringAssert.Contains(outcome.ToString(), said);
        Assert.IsNull(Inconsistency(sample));
        Assert.IsFalse(BuildRunner.Build(sample.Project).RanTask(task), "the build after is up to date");
    }

    [TestMethod]
    public void LinkInputThatIsAFifo_IsKB0001_NotAHang()
    {
        using var sample = BuiltSample();
        FileSystemFaults.Replace(Obj(sample, "main.o"), "fifo");

        var (exitCode, output) = DotnetBuild(sample);
        Assert.AreNotEqual(0, exitCode, output);
        StringAssert.Contains(output, "error KB0001");
        StringAssert.Contains(output, "FIFO");
    }

    [TestMethod]
    public void FifoWhereTheBuildKeepsAFile_IsRemoved_NotWaitedOn()
    {
        using var sample = BuiltSample();
        FileSystemFaults.Replace(Obj(sample, "kbuild.inputs.cache"), "fifo");

        var (exitCode, output) = DotnetBuild(sample);
        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "kbuild.inputs.cache: it was a FIFO (named pipe) where the build keeps a file");
    }

    [TestMethod]
    public void TruncatedObject_IsKB0004NamingIt_NotMSB4018()
    {
        using var sample = BuiltSample();
        var vmlinux = File.ReadAllBytes(sample.Vmlinux);
        var main = Obj(sample, "main.o");
        File.WriteAllBytes(main, File.ReadAllBytes(main)[..100]);

        var (exitCode, output) = DotnetBuild(sample);
        Assert.AreNotEqual(0, exitCode, output);
        StringAssert.Matches(output, new Regex(Regex.Escape(main) + " ?: error KB0004"));
        CollectionAssert.AreEqual(vmlinux, File.ReadAllBytes(sample.Vmlinux));
    }

    [TestMethod]
    public void TwentyThousandNestedKeeps_AreKB0320_NotACrashedTaskHost()
    {
        using var sample = BuiltSample();
        var script = Path.Combine(sample.Dir, "minikernel.lds");
        File.WriteAllText(script, File.ReadAllText(script).Replace("*(.got)",
            string.Concat(Enumerable.Repeat("KEEP(", 20000)) + "*(.got)" + new string(')', 20000)));

        var (exitCode, output) = DotnetBuild(sample);
        Assert.AreNotEqual(0, exitCode, output);
        StringAssert.Contains(output, "error KB0320");
    }

    /// <summary>At the default verbosity (minimal), ld's reasons for a failed link are shown: KB0305 points at them.</summary>
    [TestMethod]
    public void FailedLink_ShowsTheLinkersReasons_AtTheDefaultVerbosity()
    {
        using var sample = BuiltSample();
        var script = Path.Combine(sample.Dir, "minikernel.lds");
        File.WriteAllText(script, File.ReadAllText(script).Replace("SECTIONS\n{", "SECTIONS\n{\n\t/DISCARD/ : { *(.rodata) }"));

        var (exitCode, output) = DotnetBuild(sample, "-v:m");
        Assert.AreNotEqual(0, exitCode, output);
        StringAssert.Contains(output, "defined in discarded section `.rodata'");
        StringAssert.Contains(output, "error KB0305");
    }

    [TestMethod]
    public void NoLeftover_NoRemovedMessage()
    {
        using var sample = BuiltSample();
        File.SetLastWriteTimeUtc(Path.Combine(sample.Dir, "minikernel.lds"), DateTime.UtcNow.AddSeconds(2));

        var (exitCode, output) = DotnetBuild(sample);
        Assert.AreEqual(0, exitCode, output);
        Assert.IsFalse(output.Contains("left by an interrupted build", StringComparison.Ordinal), output);
    }

    /// <summary>
    /// One fault per build in a file the build reads — a link input, the linker script, each file in obj/, an output:
    /// its bytes mutated, a FIFO or a directory in its place, or missing. The build ends with a KB error naming it and
    /// keeps the previous outputs, or succeeds with consistent ones; no MSBuild error, no hang. Then the fault is undone
    /// as the error says and the damaged inputs restored (what obj/ holds is left), and the next build must succeed.
    /// </summary>
    [TestMethod]
    public void SampleBuild_AfterAnyFault_IsAKBErrorOrAGoodBuild_AndTheNextBuildSucceeds()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("KBUILD_FUZZ_SEED"), out var s) ? s : 12;
        var budget = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("KBUILD_FUZZ_SECONDS"), out var b) ? b : 60);
        using var sample = BuiltSample();
        var pristine = Path.Combine(Path.GetTempPath(), $"kbuild-pristine-{Guid.NewGuid():N}.tar");
        Tool.RunChecked("tar", ["-C", sample.Dir, "-cf", pristine, "."]);
        var random = new Random(seed);
        var failures = new List<string>();
        var builds = 0;
        try
        {
            for (var deadline = DateTime.UtcNow + budget; DateTime.UtcNow < deadline && failures.Count < 3; builds++)
            {
                Tool.RunChecked("find", [sample.Dir, "-mindepth", "1", "-delete"]);
                Tool.RunChecked("tar", ["-C", sample.Dir, "-xf", pristine]);
                var files = new[] { "obj/main.o", "obj/head.o", "obj/lib.a", "minikernel.lds", "out/vmlinux", "out/System.map" }
                    .Concat(Directory.GetFiles(Path.Combine(sample.Dir, "obj")).Select(f => Path.GetRelativePath(sample.Dir, f))
                        .Where(f => Path.GetFileName(f).StartsWith("kallsyms.", StringComparison.Ordinal) || f.EndsWith(".cache", StringComparison.Ordinal)))
                    .Distinct().ToArray();
                var file = files[random.Next(files.Length)];
                var path = Path.Combine(sample.Dir, file);
                var fault = new[] { "mutated", "mutated", "fifo", "directory", "missing" }[random.Next(5)];
                var before = (File.ReadAllBytes(sample.Vmlinux), File.ReadAllBytes(sample.SystemMap));
                switch (fault)
                {
                    case "mutated":
                        var bytes = File.ReadAllBytes(path);
                        for (var n = 1 + random.Next(4); n > 0 && bytes.Length > 0; n--)
                            if (random.Next(3) == 0) bytes = bytes[..random.Next(bytes.Length)];
                            else bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                        File.WriteAllBytes(path, bytes);
                        break;
                    case "missing": File.Delete(path); break;
                    default: FileSystemFaults.Replace(path, fault); break;
                }
                var (exitCode, output) = BuildRunner.DotnetBuild(sample.Project, new Dictionary<string, string?>(), TimeSpan.FromMinutes(2), "-v:m");
                var what = $"KBUILD_FUZZ_SEED={seed} build {builds}: {file} {fault}";
                var onOutputs = file.StartsWith("out/", StringComparison.Ordinal);
                if (MSBuildError().IsMatch(output)) failures.Add($"{what}: an MSBuild error: {output}");
                else if (exitCode != 0 && !output.Contains(": error KB", StringComparison.Ordinal)) failures.Add($"{what}: failed without a KB error naming a file: {output}");
                else if (exitCode != 0 && !onOutputs && !(File.ReadAllBytes(sample.Vmlinux).AsSpan().SequenceEqual(before.Item1)
                    && File.ReadAllBytes(sample.SystemMap).AsSpan().SequenceEqual(before.Item2))) failures.Add($"{what}: failed and changed the outputs");
                else if (exitCode == 0 && Inconsistency(sample) is { } wrong) failures.Add($"{what}: succeeded but {wrong}");
                if (failures.Count > 0 && failures[^1].StartsWith(what, StringComparison.Ordinal)) continue;

                if (fault is "fifo" or "directory") FileSystemFaults.Remove(path);
                var isInput = !file.StartsWith("obj/kallsyms.", StringComparison.Ordinal) && !file.EndsWith(".cache", StringComparison.Ordinal);
                if (isInput && !File.Exists(path) || isInput && fault == "mutated")
                    Tool.RunChecked("tar", ["-C", sample.Dir, "-xf", pristine, "./" + file]);
                var next = BuildRunner.Build(sample.Project);
                if (!next.Succeeded) failures.Add($"{what}: the next build, with the fault undone, failed (sticky): {next}");
                else if (Inconsistency(sample) is { } stale) failures.Add($"{what}: the next build left {stale}");
            }
        }
        finally
        {
            File.Delete(pristine);
        }
        Console.WriteLine($"sample builds: {builds} faults, {failures.Count} failures");
        Assert.AreEqual(0, failures.Count, string.Join("\n\n", failures));
    }

    // MSB4018 (a task threw), MSB4217/MSB4027 (its task host died), MSB4181 (a task failed without logging an error).
    [GeneratedRegex(@"error MSB(4018|4217|4027|4181)")]
    private static partial Regex MSBuildError();
}
