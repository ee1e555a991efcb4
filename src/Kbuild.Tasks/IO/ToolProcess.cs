using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Kbuild.Diagnostics;

namespace Kbuild.IO;

/// <summary>What a tool run printed and how it ended.</summary>
public sealed record ToolResult(int ExitCode, string Output)
{
    /// <summary>The last lines of the output, for an error message.</summary>
    public string Tail(int lines = 25) => string.Join('\n', Output.TrimEnd().Split('\n').TakeLast(lines));
}

/// <summary>
/// The one way this assembly runs an external tool (make, the compiler, ld, sorttable, fixdep): each output
/// line goes to <see cref="OnLine"/> as the tool prints it (on the calling thread, so a task may log it), the
/// output is also kept for error messages, a cancel stops the tool's whole process tree so that make deletes what
/// it half made, whatever signals the build's parent ignored (<see cref="ProcessTree.Interrupt"/>), and a tool that
/// cannot be started is a <see cref="KbuildException"/> naming it and the Debian package that provides it.
/// </summary>
public sealed record ToolProcess
{
    /// <summary>Runs tools without showing their output (plain-class callers and tests).</summary>
    public static readonly ToolProcess Quiet = new();

    /// <summary>Called with each line (stdout and stderr, in the order read); true for stderr.</summary>
    public Action<string, bool>? OnLine { get; init; }

    public CancellationToken Cancel { get; init; }

    /// <param name="environment">Replaces the inherited environment entirely when given.</param>
    /// <param name="stdoutFile">Receives stdout byte for byte instead of <see cref="OnLine"/>.</param>
    public ToolResult Run(string fileName, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, string? stdoutFile = null)
    {
        Cancel.ThrowIfCancellationRequested();
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (environment != null)
        {
            psi.Environment.Clear();
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        }
        using var process = Start(psi, fileName);
        process.StandardInput.Close();
        Task? stopping = null;
        using var stop = Cancel.Register(() => stopping = Task.Factory.StartNew(() => ProcessTree.Interrupt(process, InterruptGrace),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));

        var lines = new BlockingCollection<(string Line, bool IsError)>();
        var output = new StringBuilder();
        // Own threads, not the pool: a busy pool would hold lines back for as long as it is busy.
        var readers = new List<Task>
        {
            Reader(() => Pump(process.StandardError, true, lines)),
            stdoutFile != null
                ? Reader(() => { using var f = File.Create(stdoutFile); process.StandardOutput.BaseStream.CopyTo(f); })
                : Reader(() => Pump(process.StandardOutput, false, lines)),
        };
        _ = Task.WhenAll(readers).ContinueWith(_ => lines.CompleteAdding(), TaskScheduler.Default);
        foreach (var (line, isError) in lines.GetConsumingEnumerable())
        {
            output.Append(line).Append('\n');
            OnLine?.Invoke(line, isError);
        }
        Task.WaitAll([.. readers]);
        process.WaitForExit();
        stop.Dispose(); // waits for a cancel in progress, so nothing the tool started outlives this call
        stopping?.Wait();
        Cancel.ThrowIfCancellationRequested();
        // Ctrl-C reaches the tool (same process group) before MSBuild cancels the task: a cancel all the same.
        if (process.ExitCode == ExitCodeOfSigint) throw new OperationCanceledException($"{fileName} was interrupted (SIGINT)");
        return new ToolResult(process.ExitCode, output.ToString());
    }

    private const int ExitCodeOfSigint = 128 + 2;

    /// <summary>How long a cancelled tool may take to clean up (make deleting half-made targets) before SIGKILL.</summary>
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(10);

    private static Task Reader(Action read) => Task.Factory.StartNew(read, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static void Pump(StreamReader reader, bool isError, BlockingCollection<(string, bool)> lines)
    {
        while (reader.ReadLine() is { } line) lines.Add((line, isError));
    }

    private static Process Start(ProcessStartInfo psi, string fileName)
    {
        try
        {
            return Process.Start(psi)!;
        }
        catch (Win32Exception e)
        {
            var tool = Path.GetFileName(fileName);
            throw new KbuildException(ErrorCodes.ToolCannotStart, fileName,
                $"cannot run '{fileName}' ({e.Message.Split(". ").Last().TrimEnd('.')}): install it ({PackageHint(tool)}) or put it on PATH.", inner: e);
        }
    }

    /// <summary>Where a tool comes from on Debian, for "cannot run" messages.</summary>
    public static string PackageHint(string tool) => tool switch
    {
        "make" => "Debian package 'make'",
        "sh" => "Debian package 'dash'",
        "gcc" or "cc" => "Debian package 'gcc'",
        _ when tool.StartsWith("gcc-", StringComparison.Ordinal) => $"Debian package '{tool}'",
        "clang" => "Debian package 'clang'",
        _ when tool.StartsWith("ld.lld", StringComparison.Ordinal) => "Debian package 'lld'",
        _ when tool.StartsWith("clang", StringComparison.Ordinal) => "Debian package 'clang'",
        "ld" or "ld.bfd" or "nm" or "objcopy" or "ar" => "Debian package 'binutils'",
        _ when tool.EndsWith("-gcc", StringComparison.Ordinal) => $"the cross compiler's Debian package, e.g. 'gcc-{tool[..^4]}'",
        _ when tool.EndsWith("-ld", StringComparison.Ordinal) => $"the cross binutils' Debian package, e.g. 'binutils-{tool[..^3]}'",
        _ => "the package that provides it",
    };
}
