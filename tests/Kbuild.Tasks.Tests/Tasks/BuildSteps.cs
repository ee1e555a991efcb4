using Kbuild.Table;
using Kbuild.Tasks;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Kbuild.Tests.Tasks;

/// <summary>What a run of the build's steps did: the task that failed (null: none) and everything the tasks logged.</summary>
internal sealed record StepsOutcome(string? FailedTask, RecordingBuildEngine Log)
{
    public bool Succeeded => FailedTask == null;

    public override string ToString() => (FailedTask == null ? "succeeded" : $"{FailedTask} failed") + ":\n" +
        string.Join("\n", Log.Errors.Select(e => $"{e.File}: error {e.Code}: {e.Message}").Concat(Log.Messages));
}

/// <summary>
/// The sample's build (samples/minikernel: its sources, flags and linker script) laid out in a directory — head.o, a
/// thin archive of main.o and kallsyms.o, a regular lib.a searched as a library — and the build's own steps run on
/// it the way Sdk.targets runs them, through each task's Execute: LockBuild, ReserveKallsyms (the reservation, with
/// its caches in obj/), LinkVmlinux, PatchKallsyms (and the relink with an exact reservation when it asks for one),
/// PublishFile, WriteSystemMap, UnlockBuild. Unlike the targets, every step runs every time.
/// </summary>
internal sealed class BuildSteps
{
    public const string KernelVersion = "6.12";
    private const string LdFlags = "-m elf_x86_64 -z noexecstack", LdFlagsVmlinux = "--build-id=sha1 --orphan-handling=warn";

    public BuildSteps(string root) => Root = root;

    public string Root { get; }
    public string Obj => Path.Combine(Root, "obj");
    public string Out => Path.Combine(Root, "out");
    public string Script => Path.Combine(Root, "minikernel.lds");
    public string Vmlinux => Path.Combine(Out, "vmlinux");
    public string SystemMap => Path.Combine(Out, "System.map");
    public string ReservationObject => Path.Combine(Obj, "kallsyms.reserve.o");
    public string Rooms => Path.Combine(Obj, "kallsyms.reserve.json");
    public string LockFile => Path.Combine(Obj, ".kbuild.lock");

    public string[] Objects => [Path.Combine(Obj, "head.o"), Path.Combine(Obj, "thin.a")];
    public string[] Libraries => [Path.Combine(Obj, "lib.a")];

    /// <summary>The files the link reads: objects, the thin archive's members, the regular archive, the script.</summary>
    public string[] Inputs => [.. new[] { "head.o", "main.o", "kallsyms.o", "thin.a", "lib.a" }.Select(f => Path.Combine(Obj, f)), Script];

    /// <summary>What the steps keep in obj/ and the outputs (the lock file included).</summary>
    public string[] BuildFiles =>
    [
        ReservationObject, ReservationObject + ".key", Rooms, Path.Combine(Obj, "kallsyms.reserve.S"),
        .. KallsymsReserver.Files.Caches.Select(name => Path.Combine(Obj, name)),
        LockFile, Vmlinux, SystemMap,
    ];

    /// <summary>Compiles the sample into <paramref name="root"/> and runs the steps once (a good build).</summary>
    public static BuildSteps Create(string root)
    {
        var sample = Path.Combine(RepoPaths.Root, "samples", "minikernel");
        var steps = new BuildSteps(root);
        Directory.CreateDirectory(steps.Obj);
        File.Copy(Path.Combine(sample, "minikernel.lds"), steps.Script);
        string[] flags = [.. File.ReadAllText(Path.Combine(sample, "cflags")).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries), "-DCONFIG_KALLSYMS_ALL"];
        foreach (var source in new[] { "head.S", "main.c", "kallsyms.c", "lib/printk.c" })
            Tool.RunChecked("gcc", [.. flags, "-c", "-o", Path.Combine(steps.Obj, Path.GetFileNameWithoutExtension(source) + ".o"), Path.Combine(sample, source)]);
        Tool.RunChecked("ar", ["rcsT", "thin.a", "main.o", "kallsyms.o"], steps.Obj);
        Tool.RunChecked("ar", ["rcs", "lib.a", "printk.o"], steps.Obj);
        var outcome = steps.Run();
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        return steps;
    }

    /// <summary>A copy in <paramref name="root"/> (modification times kept, so the caches' entries still match).</summary>
    public BuildSteps CopyTo(string root)
    {
        Tool.RunChecked("cp", ["-a", Root + "/.", root]);
        return new BuildSteps(root);
    }

    /// <summary>Runs the steps in order up to the first that fails.</summary>
    public StepsOutcome Run()
    {
        var log = new RecordingBuildEngine();
        var id = Guid.NewGuid().ToString("N");
        var (linked, staged) = (Path.Combine(Out, $".vmlinux.{id}.linked"), Path.Combine(Out, $".vmlinux.{id}.staged"));
        try
        {
            if (!Execute(new LockBuild { LockFiles = Items(LockFile), TimeoutSeconds = 2, BuildFiles = Items(BuildFiles) }, log))
                return new StepsOutcome(nameof(LockBuild), log);
            var needsRelink = false;
            var failed = Link(log, linked, relinkFrom: null) ?? Patch(log, linked, staged, mayRelink: true, out needsRelink);
            if (failed == null && needsRelink)
            {
                var relinked = Path.Combine(Out, $".vmlinux.{id}.relinked");
                failed = Link(log, relinked, relinkFrom: linked) ?? Patch(log, relinked, staged, mayRelink: false, out _);
                File.Delete(relinked);
            }
            failed ??= Execute(new PublishFile { SourceFile = staged, DestinationFile = Vmlinux }, log) ? null : nameof(PublishFile);
            failed ??= Execute(new WriteSystemMap { Vmlinux = Vmlinux, OutputFile = SystemMap, KernelVersion = KernelVersion }, log) ? null : nameof(WriteSystemMap);
            return new StepsOutcome(failed, log);
        }
        finally
        {
            Execute(new UnlockBuild { LockFiles = Items(LockFile) }, new RecordingBuildEngine());
            foreach (var leftover in new[] { linked, staged }.Where(File.Exists)) File.Delete(leftover);
        }
    }

    /// <summary>The reservation (exact for <paramref name="relinkFrom"/>'s symbols in the relink) and the link; the failed task or null.</summary>
    private string? Link(RecordingBuildEngine log, string linked, string? relinkFrom)
    {
        var reserve = new ReserveKallsyms
        {
            KernelVersion = KernelVersion, AllSymbols = true, From = relinkFrom == null ? ReserveKallsyms.FromLinkInputs : ReserveKallsyms.FromLinkedImage,
            LinkedImage = relinkFrom, Objects = Items(Objects), Libraries = Items(Libraries),
            LinkerScript = Script, Ld = "ld", LdFlags = LdFlags, LdFlagsVmlinux = LdFlagsVmlinux, Cc = "gcc",
            OutputAssembly = Path.Combine(Obj, "kallsyms.reserve.S"), ReservationObject = ReservationObject, RoomsFile = Rooms,
        };
        if (!Execute(reserve, log)) return nameof(ReserveKallsyms);
        var link = new LinkVmlinux
        {
            Objects = Items(Objects), Libraries = Items(Libraries), LinkerScript = Script, Flags = LdFlags, VmlinuxFlags = LdFlagsVmlinux,
            KallsymsObject = ReservationObject, Ld = "ld", OutputFile = linked,
        };
        return Execute(link, log) ? null : nameof(LinkVmlinux);
    }

    private string? Patch(RecordingBuildEngine log, string linked, string staged, bool mayRelink, out bool needsRelink)
    {
        var patch = new PatchKallsyms
        {
            KernelVersion = KernelVersion, AllSymbols = true, Image = linked, ReservationRooms = Rooms, OutputFile = staged,
            LinkerFlags = $"{LdFlags} {LdFlagsVmlinux}", MayRelink = mayRelink,
        };
        var ok = Execute(patch, log);
        needsRelink = patch.NeedsRelink;
        return ok ? null : nameof(PatchKallsyms);
    }

    private static bool Execute(Microsoft.Build.Utilities.Task task, RecordingBuildEngine log)
    {
        task.BuildEngine = log;
        return task.Execute();
    }

    private static ITaskItem[] Items(params string[] paths) => [.. paths.Select(p => new TaskItem(p))];

    /// <summary>Null when the outputs are consistent (<see cref="BuildOutputs.Inconsistency"/>); else what is wrong.</summary>
    public string? Inconsistency() => BuildOutputs.Inconsistency(Vmlinux, SystemMap, KernelVersion, new KallsymsOptions { AllSymbols = true });
}
