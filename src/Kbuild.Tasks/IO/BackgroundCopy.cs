using Kbuild.Diagnostics;

namespace Kbuild.IO;

/// <summary>
/// A copy of a file made in the background into a temporary file beside its destination, so that copying a
/// large image overlaps other work (generating the kallsyms table). The finished copy is modified in place
/// and then renamed onto the destination; disposed uncommitted, it is deleted and the destination keeps its
/// previous contents.
/// </summary>
public sealed class BackgroundCopy : IDisposable
{
    private readonly Task copying;
    private bool committed;

    private BackgroundCopy(string source, string destination)
    {
        Source = source;
        Destination = destination;
        TempPath = AtomicOutput.TempPathFor(destination);
        copying = Task.Run(() =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(TempPath)!);
            File.Copy(source, TempPath, overwrite: true);
        });
    }

    public string Source { get; }
    public string Destination { get; }
    public string TempPath { get; }

    public static BackgroundCopy Start(string source, string destination) => new(source, destination);

    /// <summary>Waits for the copy and returns the temporary file, now a complete copy of the source.</summary>
    public string Complete()
    {
        try
        {
            copying.GetAwaiter().GetResult();
            return TempPath;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && !File.Exists(Source))
        {
            throw new KbuildException(ErrorCodes.FileUnreadable, Source,
                $"cannot read '{Source}': {e.Message}. Build it again.", inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KbuildException(ErrorCodes.OutputUnwritable, Destination,
                $"cannot copy '{Source}' beside '{Destination}': {e.Message}. Check that the directory is writable and has room.", inner: e);
        }
    }

    /// <summary>Renames the finished (and by now modified) copy onto the destination.</summary>
    public void Commit()
    {
        AtomicOutput.Commit(Complete(), Destination);
        committed = true;
    }

    public void Dispose()
    {
        if (committed) return;
        // A copy that failed was reported by Complete(); one never waited for must not outlive the temp file.
        try { copying.Wait(); } catch (AggregateException) { }
        AtomicOutput.DeleteIfExists(TempPath);
    }
}
