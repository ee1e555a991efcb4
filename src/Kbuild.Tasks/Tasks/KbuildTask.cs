using Kbuild.Diagnostics;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Kbuild.Tasks;

/// <summary>
/// Base of every Kbuild task: runs <see cref="Run"/> and turns a <see cref="KbuildException"/> into one
/// canonical MSBuild error (code, file, line) so IDEs list it, instead of a stack trace.
/// </summary>
public abstract class KbuildTask : Microsoft.Build.Utilities.Task
{
    public sealed override bool Execute()
    {
        try
        {
            Run();
        }
        catch (KbuildException e)
        {
            LogError(e);
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>The task's one call into the plain classes; throw KbuildException for user-facing failures.</summary>
    protected abstract void Run();

    protected void LogError(KbuildException e) =>
        Log.LogError(subcategory: null, errorCode: e.Code, helpKeyword: null, file: e.File,
            lineNumber: e.Line, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: e.Message);

    protected void LogWarning(string code, string? file, string message) =>
        Log.LogWarning(subcategory: null, warningCode: code, helpKeyword: null, file: file,
            lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: message);
}
