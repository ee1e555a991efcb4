using System.Text.RegularExpressions;
using Kbuild.Diagnostics;

namespace Kbuild.Tests.Tasks;

/// <summary>
/// Mutation fuzzing through the build's own entry points: the sample's steps (<see cref="BuildSteps"/>, each task's
/// Execute) run after one fault in a file the build reads — an object, a member of the thin archive, the regular
/// archive, the linker script, every file the steps keep in obj/, the outputs (their bytes mutated, or a directory, a
/// FIFO or a symlink loop in their place, or the file missing) — or in the file system (obj/ or out/ read-only, a full
/// disk in a small tmpfs where the machine allows mounting one). Each run must either succeed with a consistent vmlinux
/// and System.map, or fail with KB errors that name a file and leave the previous outputs (or consistent new ones); no
/// other exception, no hang. Then the fault is undone the way the error says (what is in a file's place removed, the
/// directory writable again, the disk freed) and the inputs restored — the damaged files in obj/ and out/ are left —
/// and the next run must succeed: nothing the build keeps may fail a later build. Budget: KBUILD_FUZZ_SECONDS
/// (default 60); seed: KBUILD_FUZZ_SEED (default 12); a failure names the seed, the iteration and the fault to replay.
/// </summary>
[TestClass]
public sealed partial class BuildStepFuzzTests
{
    private static BuildSteps _good = null!;

    private static TimeSpan Budget => TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("KBUILD_FUZZ_SECONDS"), out var s) ? s : 60);

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("KBUILD_FUZZ_SEED"), out var s) ? s : 12;

    [ClassInitialize]
    public static void BuildTheSample(TestContext _) => _good = BuildSteps.Create(TestTemp.Directory("kbuild-steps-"));

    [TestMethod]
    public void BuildSteps_AfterAnyFault_GiveAKBErrorOrAGoodBuild_AndTheNextBuildSucceeds()
    {
        var failures = new List<string>();
        var (iterations, refused) = (0, 0);
        var deadline = DateTime.UtcNow + Budget;
        while (DateTime.UtcNow < deadline && failures.Count < 5)
        {
            var seed = HashCode.Combine(Seed, "steps", iterations++);
            var dir = TestTemp.Directory("kbuild-steps-fuzz-");
            var iteration = new Iteration(seed, dir);
            IDisposable? disk = null;
            try
            {
                var root = Path.Combine(dir, "tree");
                Directory.CreateDirectory(root);
                if (iteration.Random.Next(12) == 0 && (disk = FileSystemFaults.SmallDisk(root, 4 << 20)) == null) continue;
                var steps = _good.CopyTo(root);
                var fault = disk != null ? FullDisk(steps, iteration) : Fault.Pick(steps, iteration);
                if (Check(steps, fault) is { } failure)
                    failures.Add($"KBUILD_FUZZ_SEED={Seed} iteration {iterations - 1} (seed {seed}; {fault.Description}; {string.Join(", ", iteration.Mutations)}): {failure}");
                else if (fault.Refused) refused++;
            }
            finally
            {
                disk?.Dispose();
                Tool.Run("chattr", ["-R", "-i", dir]);
                Tool.Run("rm", ["-rf", dir]);
            }
        }
        Console.WriteLine($"build steps: {iterations} faults, {refused} refused with a KB error, {failures.Count} failures");
        Assert.IsGreaterThan(10, iterations, $"only {iterations} faults in {Budget}");
        Assert.AreEqual(0, failures.Count, string.Join("\n\n", failures));
    }

    /// <summary>What is wrong with how the steps met <paramref name="fault"/>, or null.</summary>
    private static string? Check(BuildSteps steps, Fault fault)
    {
        var previous = (Vmlinux: File.ReadAllBytes(steps.Vmlinux), SystemMap: File.ReadAllBytes(steps.SystemMap));
        fault.Apply();
        var run = Task.Run(steps.Run);
        try
        {
            if (!run.Wait(TimeSpan.FromSeconds(30))) return "no result after 30 s (a hang)";
        }
        catch (AggregateException e)
        {
            return "an exception escaped a task: " + e.InnerException;
        }
        var outcome = run.Result;
        if (!outcome.Succeeded)
        {
            fault.Refused = true;
            if (outcome.Log.Errors.FirstOrDefault(e => !KbCode().IsMatch(e.Code ?? "")) is { } foreign)
                return $"{outcome.FailedTask} reported {foreign.Code}, not a KB code: {foreign.Message}";
            if (outcome.Log.Errors.All(e => string.IsNullOrEmpty(e.File)))
                return $"{outcome.FailedTask} failed without naming a file: {outcome}";
            if (!fault.OnOutputs && Changed(steps, previous) is { } changed)
                return $"{outcome.FailedTask} failed and {changed}: {outcome}";
        }
        else if (steps.Inconsistency() is { } wrong)
        {
            return $"succeeded, but {wrong}: {outcome}";
        }

        fault.Undo();
        foreach (var input in _good.Inputs)
            File.Copy(input, Path.Combine(steps.Root, Path.GetRelativePath(_good.Root, input)), overwrite: true);
        var next = steps.Run();
        if (!next.Succeeded) return $"the next build, with the fault undone and the inputs restored, failed (sticky): {next}";
        return steps.Inconsistency() is { } stale ? $"the next build left {stale}" : null;
    }

    /// <summary>Null when vmlinux and System.map are the previous ones or, made anew, consistent.</summary>
    private static string? Changed(BuildSteps steps, (byte[] Vmlinux, byte[] SystemMap) previous)
    {
        var same = File.ReadAllBytes(steps.Vmlinux).AsSpan().SequenceEqual(previous.Vmlinux)
            && File.ReadAllBytes(steps.SystemMap).AsSpan().SequenceEqual(previous.SystemMap);
        if (same) return null;
        try
        {
            return steps.Inconsistency() is { } wrong ? "the outputs changed: " + wrong : null;
        }
        catch (KbuildException e)
        {
            return "the outputs changed: " + e.Message;
        }
    }

    /// <summary>The sample's tree on a small tmpfs, filled until a few KiB to a few hundred are left.</summary>
    private static Fault FullDisk(BuildSteps steps, Iteration iteration)
    {
        var free = (long)iteration.Random.Next(0, 96) << 10;
        var script = steps.Script;
        return new Fault($"a full disk ({free >> 10} KiB free)", OnOutputs: false,
            () => { File.SetLastWriteTimeUtc(script, DateTime.UtcNow.AddSeconds(2)); FileSystemFaults.Fill(steps.Root, free); },
            () => FileSystemFaults.Unfill(steps.Root));
    }

    [GeneratedRegex("^KB[0-9]{4}$")]
    private static partial Regex KbCode();
}

/// <summary>One fault: how to make it, how a user undoes it (what the error told them), and whether it hits the outputs.</summary>
internal sealed record Fault(string Description, bool OnOutputs, Action Apply, Action Undo)
{
    public bool Refused { get; set; }

    public static Fault Pick(BuildSteps steps, Iteration iteration)
    {
        var random = iteration.Random;
        if (random.Next(10) == 0)
        {
            var directory = random.Next(2) == 0 ? steps.Obj : steps.Out;
            // A read-only directory is a fault only as long as the steps have something to write there.
            return new Fault($"{directory} read-only", directory == steps.Out, () =>
            {
                File.SetLastWriteTimeUtc(steps.Script, DateTime.UtcNow.AddSeconds(2));
                if (!FileSystemFaults.MakeReadOnly(directory)) Assert.Inconclusive("cannot make a directory read-only here");
            }, () => FileSystemFaults.MakeWritable(directory));
        }
        var files = steps.Inputs.Concat(steps.BuildFiles).ToArray();
        var file = files[random.Next(files.Length)];
        var onOutputs = file == steps.Vmlinux || file == steps.SystemMap;
        var name = Path.GetRelativePath(steps.Root, file);
        switch (random.Next(8))
        {
            case 0: return new Fault($"{name} missing", onOutputs, () => File.Delete(file), () => { });
            case 1:
            case 2:
            {
                var with = new[] { "fifo", "directory", "symlink loop" }[random.Next(3)];
                return new Fault($"{name} replaced by a {with}", onOutputs, () => FileSystemFaults.Replace(file, with), () => FileSystemFaults.Remove(file));
            }
            default:
                return new Fault($"{name} mutated", onOutputs, () =>
                {
                    if (!File.Exists(file)) return;  // the lock file of a build that never locked
                    if (file.EndsWith(".lds", StringComparison.Ordinal) || file.EndsWith(".json", StringComparison.Ordinal))
                        File.WriteAllText(file, iteration.MutateText(File.ReadAllText(file), "(){}[]*?!^;=\"/:,\n 0123456789-"));
                    else
                        File.WriteAllBytes(file, iteration.Mutate(File.ReadAllBytes(file)));
                }, () => { });
        }
    }
}
