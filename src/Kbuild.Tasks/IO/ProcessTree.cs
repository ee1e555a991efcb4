using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Kbuild.IO;

/// <summary>
/// Stops a tool and everything it started so that the kernel's make deletes the targets it was half-way through (a
/// SIGKILLed make leaves a vmlinux.o that objtool never finished, and the next make trusts it): SIGTERM to every process
/// of its tree, then SIGKILL for whatever is still running when the tool has exited or the grace period is over.
/// SIGTERM, not a terminal's SIGINT: make handles both alike, but a build started in the background of a shell
/// (`cmd &`, nohup, CI runners, services) inherits SIGINT ignored, and make keeps an ignored signal ignored; nothing
/// ignores SIGTERM that way. The tree is followed across reparenting: a process seen once as a descendant stays in it,
/// so an orphaned background child is still stopped.
/// </summary>
internal static class ProcessTree
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    public static void Interrupt(Process root, TimeSpan grace)
    {
        var members = new Dictionary<int, long>();
        var interrupted = new HashSet<int>();
        var deadline = DateTime.UtcNow + grace;
        do
        {
            // Once each: a second signal would cut short the cleanup the first one started.
            foreach (var pid in Refresh(members, root.Id))
                if (interrupted.Add(pid)) kill(pid, SigTerm);
        }
        while (!root.WaitForExit(100) && DateTime.UtcNow < deadline);
        foreach (var pid in Refresh(members, root.Id)) kill(pid, SigKill);
    }

    /// <summary>Adds the members' new descendants to <paramref name="members"/> (pid → start time) and returns the
    /// members still alive; a pid whose start time changed belongs to a new process and is dropped.</summary>
    private static List<int> Refresh(Dictionary<int, long> members, int rootPid)
    {
        var running = Snapshot();
        if (members.Count == 0 && running.TryGetValue(rootPid, out var root)) members[rootPid] = root.Start;
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, (parent, start)) in running)
                if (!members.ContainsKey(pid) && members.TryGetValue(parent, out var parentStart)
                    && running.TryGetValue(parent, out var p) && p.Start == parentStart)
                {
                    members[pid] = start;
                    grew = true;
                }
        }
        return members.Where(m => running.TryGetValue(m.Key, out var r) && r.Start == m.Value).Select(m => m.Key).ToList();
    }

    /// <summary>Every process: pid → (parent pid, start time), as <see cref="BuildProcess.StatOf"/> reads them.</summary>
    private static Dictionary<int, (int Parent, long Start)> Snapshot()
    {
        var processes = new Dictionary<int, (int, long)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out var pid) && BuildProcess.StatOf(pid) is { } stat)
                processes[pid] = stat;
        return processes;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
