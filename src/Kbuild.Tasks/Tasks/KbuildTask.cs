using Kbuild.Diagnostics;
using Kbuild.IO;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Kbuild.Tasks;

/// <summary>
/// Base of every Kbuild task: runs <see cref="Run"/> and turns a <see cref="KbuildException"/> into one
/// canonical MSBuild error (code, file, line) so IDEs list it, instead of a stack trace. Cancelable: a cancel
/// (Ctrl-C, the IDE's stop) stops the tool the task is running (<see cref="Tools"/>) and is reported as such.
/// </summary>
public abstract class KbuildTask : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    public sealed override bool Execute()
    {
        // A task host outlives a killed build; the tools it started must not (a kernel make left running in the
        // build directory would race the next build): when the build process is gone, cancel.
        var build = BuildProcess.Current();
        using var watchdog = new Timer(_ => { if (build.StartTime != 0 && !build.IsAlive) _cancel.Cancel(); }, null, 500, 500);
        try
        {
            Run();
        }
        catch (KbuildException e)
        {
            LogError(e);
        }
        catch (OperationCanceledException)
        {
            Log.LogError(null, ErrorCodes.BuildCancelled, null, null, 0, 0, 0, 0,
                $"{GetType().Name} was cancelled; the tool it ran was stopped and the previous outputs were left in place.");
        }
        return !Log.HasLoggedErrors;
    }

    public void Cancel() => _cancel.Cancel();

    protected CancellationToken CancellationToken => _cancel.Token;

    /// <summary>Runs tools for this task: each output line is logged as it comes (at normal importance, so a
    /// terminal shows make's progress), compiler-style "file:line: error:" lines as errors and warnings.</summary>
    protected ToolProcess Tools => new() { OnLine = (line, _) => LogToolLine(line), Cancel = _cancel.Token };

    private void LogToolLine(string line)
    {
        if (ToolDiagnostic.TryParse(line) is not { } d)
            Log.LogMessage(MessageImportance.Normal, line);
        else if (d.IsError)
            Log.LogError(null, ErrorCodes.ToolError, null, d.File, d.Line, d.Column, 0, 0, d.Message);
        else
            Log.LogWarning(null, ErrorCodes.ToolWarning, null, d.File, d.Line, d.Column, 0, 0, d.Message);
    }

    /// <summary>The task's one call into the plain classes; throw KbuildException for user-facing failures.</summary>
    protected abstract void Run();

    protected void LogError(KbuildException e) =>
        Log.LogError(subcategory: null, errorCode: e.Code, helpKeyword: null, file: e.File,
            lineNumber: e.Line, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: e.Message);

    /// <summary>A damaged file in obj/ the step ignores and writes again: said once, at a verbosity a terminal shows.</summary>
    protected void ReportIgnoredCache(string message) => Log.LogMessage(MessageImportance.High, message);

    protected void LogWarning(string code, string? file, string message) =>
        Log.LogWarning(subcategory: null, warningCode: code, helpKeyword: null, file: file,
            lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: message);
}
