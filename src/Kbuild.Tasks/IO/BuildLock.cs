using Kbuild.Diagnostics;

namespace Kbuild.IO;

/// <summary>
/// One build at a time per output directory. A lock file names the build process that holds it (its PID and
/// start time, so a reused PID is not mistaken for the owner); a lock whose owner is gone (a killed build) is
/// taken over. The check-and-take runs under an flock on the lock file itself, so two builds never both take
/// it; the file stays (empty when free), so no build ever flocks a file another is about to delete. The owner
/// is the MSBuild process running the build, not the task host a task may run in, because the lock spans many
/// tasks.
/// </summary>
public static class BuildLock
{
    /// <summary>Takes <paramref name="lockFile"/> for <paramref name="owner"/>, waiting while another live build
    /// holds it (<paramref name="waiting"/> is told once whom it waits for) until <paramref name="timeout"/>.</summary>
    public static void Acquire(string lockFile, BuildProcess owner, TimeSpan timeout, Action<string> waiting, CancellationToken cancel = default)
    {
        Usable(lockFile, () => Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(lockFile))!));
        var deadline = DateTime.UtcNow + timeout;
        var told = false;
        while (true)
        {
            var holder = Usable(lockFile, () => TryTake(lockFile, owner));
            if (holder == null) return;
            if (DateTime.UtcNow >= deadline)
                throw new KbuildException(ErrorCodes.BuildLockTimeout, lockFile,
                    $"another build (process {holder.Id}) still holds {lockFile} after {timeout.TotalSeconds:0} s: wait for it to finish, " +
                    "or raise KbuildLockTimeoutSeconds. Two builds of one output at once would corrupt it.");
            if (!told) waiting($"waiting for the build in process {holder.Id}, which holds {lockFile}");
            told = true;
            if (cancel.WaitHandle.WaitOne(200)) throw new OperationCanceledException(cancel);
        }
    }

    /// <summary>Frees the lock if <paramref name="owner"/> holds it.</summary>
    public static void Release(string lockFile, BuildProcess owner)
    {
        if (!File.Exists(lockFile)) return;
        Usable(lockFile, () =>
        {
            using var file = Open(lockFile);
            if (ReadHolder(file) == owner) file.SetLength(0);
            return true;
        });
    }

    /// <summary>Runs a step on the lock file: one that is no regular file (a FIFO would block its read), in a read-only
    /// directory or on a full disk is a KB error naming it, not an exception.</summary>
    private static T Usable<T>(string lockFile, Func<T> use)
    {
        if (RegularFile.KindOf(lockFile) is { } kind) throw Unusable(lockFile, $"it is {kind}");
        try
        {
            return use();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unusable(lockFile, e.Message);
        }
    }

    private static KbuildException Unusable(string lockFile, string why) => new(ErrorCodes.BuildLockUnusable, lockFile,
        $"cannot take the build lock {lockFile} ({why}): remove what is in its place if it is not a file, or make its directory " +
        "writable and give the disk room.");

    // null: taken (or already ours); otherwise the live holder.
    private static BuildProcess? TryTake(string lockFile, BuildProcess owner)
    {
        using var file = Open(lockFile);
        var holder = ReadHolder(file);
        if (holder != null && holder != owner && holder.IsAlive) return holder;
        file.SetLength(0);
        file.Write(System.Text.Encoding.ASCII.GetBytes(owner.ToString()));
        file.Flush(flushToDisk: true);
        return null;
    }

    private static BuildProcess? ReadHolder(FileStream file)
    {
        // "PID starttime\n" is short: a longer file is no lock a build wrote, and is not read whole.
        var start = new byte[64];
        file.Position = 0;
        var holder = BuildProcess.Parse(System.Text.Encoding.ASCII.GetString(start, 0, file.ReadAtLeast(start, start.Length, throwOnEndOfStream: false)));
        file.Position = 0;
        return holder;
    }

    // .NET takes an flock(LOCK_EX) for FileShare.None on Unix, held only for one check-and-write.
    private static FileStream Open(string lockFile)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 500)
            {
                Thread.Sleep(10);
            }
        }
    }
}

/// <summary>A process identified by its PID and its start time (field 22 of /proc/PID/stat).</summary>
public sealed record BuildProcess(int Id, long StartTime)
{
    /// <summary>The MSBuild process running this build: the parent when this code runs in an MSBuild task host.</summary>
    public static BuildProcess Current()
    {
        var id = Environment.ProcessId;
        if (IsTaskHost(id) && ParentOf(id) is int parent) id = parent;
        return Of(id) ?? new BuildProcess(id, 0);
    }

    public static BuildProcess? Of(int id) => StartTimeOf(id) is long start ? new BuildProcess(id, start) : null;

    public bool IsAlive => Of(Id) == this;

    public override string ToString() => $"{Id} {StartTime}\n";

    public static BuildProcess? Parse(string text)
    {
        var parts = text.Split(' ', '\n', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2 && int.TryParse(parts[0], out var id) && long.TryParse(parts[1], out var start)
            ? new BuildProcess(id, start) : null;
    }

    // MSBuild starts task hosts with /nodemode:2 (a TaskHostFactory task runs in one).
    private static bool IsTaskHost(int id)
    {
        try
        {
            return File.ReadAllText($"/proc/{id}/cmdline").Split('\0')
                .Any(a => a.TrimStart('-', '/').StartsWith("nodemode:2", StringComparison.OrdinalIgnoreCase));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int? ParentOf(int id) => StatOf(id)?.Parent;

    private static long? StartTimeOf(int id) => StatOf(id)?.StartTime;

    /// <summary>A process's parent and start time (fields 4 and 22 of /proc/PID/stat, read once), or null when it is
    /// gone. The command name (field 2) may hold spaces and ')', so the fields are counted after its last ')'.</summary>
    internal static (int Parent, long StartTime)? StatOf(int id)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{id}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');  // fields[0] is field 3
        return fields.Length > 22 - 3 && int.TryParse(fields[4 - 3], out var parent) && long.TryParse(fields[22 - 3], out var start)
            ? (parent, start) : null;
    }
}
