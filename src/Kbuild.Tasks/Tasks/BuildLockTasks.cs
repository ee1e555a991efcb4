using Kbuild.IO;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Takes the build's locks (obj/, and the kernel build directory in kernel-tree mode) so one build at a time
/// writes an output; a second build waits, then fails with KB0520. Once held, removes what interrupted builds
/// left (staged images, temporary files, postlink shadows): with the lock no other build can own them.
/// </summary>
public sealed class LockBuild : KbuildTask
{
    [Required] public ITaskItem[] LockFiles { get; set; } = [];
    public int TimeoutSeconds { get; set; } = 600;
    /// <summary>Files and directories left by interrupted builds (wildcards already expanded), and names the targets
    /// list whether or not an earlier version's build left them.</summary>
    public ITaskItem[] Leftovers { get; set; } = [];

    /// <summary>The files the build writes and reads again (in obj/, and its outputs). One that is a FIFO, a device or a
    /// socket is removed: the step reading it would wait forever (MSBuild's WriteLinesToFile reads the inputs cache).</summary>
    public ITaskItem[] BuildFiles { get; set; } = [];

    protected override void Run()
    {
        var owner = BuildProcess.Current();
        foreach (var lockFile in LockFiles)
            BuildLock.Acquire(lockFile.ItemSpec, owner, TimeSpan.FromSeconds(TimeoutSeconds),
                waiting => Log.LogMessage(MessageImportance.High, waiting), CancellationToken);
        foreach (var leftover in Leftovers.Select(i => i.ItemSpec))
        {
            if (Directory.Exists(leftover)) KernelTree.PostLinkShadow.Remove(leftover);
            else if (File.Exists(leftover)) AtomicOutput.DeleteIfExists(leftover);
            else continue;
            Log.LogMessage(MessageImportance.Normal, $"removed {leftover}, left by an interrupted build");
        }
        foreach (var file in BuildFiles.Select(i => i.ItemSpec))
        {
            if (Directory.Exists(file) || RegularFile.KindOf(file) is not { } kind) continue;  // a directory: its writer says so
            AtomicOutput.DeleteIfExists(file);
            Log.LogMessage(MessageImportance.High, $"removed {file}: it was {kind} where the build keeps a file");
        }
    }
}

/// <summary>Releases the locks <see cref="LockBuild"/> took (at the end of the build, or when it failed).</summary>
public sealed class UnlockBuild : KbuildTask
{
    [Required] public ITaskItem[] LockFiles { get; set; } = [];

    protected override void Run()
    {
        var owner = BuildProcess.Current();
        foreach (var lockFile in LockFiles) BuildLock.Release(lockFile.ItemSpec, owner);
    }
}
