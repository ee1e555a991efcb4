using Kbuild.Outputs;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// The build's last line (<see cref="BuildSummary"/>). Steps: one item per step target clocked by Summary.targets,
/// named for the step, with metadata Start and End (UTC ticks), File (what the step writes) and optionally
/// Within (the step whose time includes it) and Links (the vmlinux links it runs when it runs).
/// </summary>
public sealed class SummarizeBuild : KbuildTask
{
    [Required] public ITaskItem[] Steps { get; set; } = [];

    /// <summary>The table outgrew its reservation, so the build linked a second time.</summary>
    public bool Overflowed { get; set; }

    public string? TableBytes { get; set; }
    public string? ReservedBytes { get; set; }

    protected override void Run()
    {
        var clocked = Steps
            .Where(s => long.TryParse(s.GetMetadata("Start"), out _) && long.TryParse(s.GetMetadata("End"), out _))
            .Select(s => (Step: StepTime.Of(s.ItemSpec, new DateTime(long.Parse(s.GetMetadata("Start")), DateTimeKind.Utc),
                new DateTime(long.Parse(s.GetMetadata("End")), DateTimeKind.Utc), s.GetMetadata("File"),
                s.GetMetadata("Within") is { Length: > 0 } w ? w : null), Links: int.TryParse(s.GetMetadata("Links"), out var n) ? n : 0))
            .ToList();
        var steps = clocked.Select(c => c.Step).ToList();
        var links = clocked.Where(c => c.Step.Ran).Sum(c => c.Links) + (Overflowed ? 1 : 0);
        Log.LogMessage(MessageImportance.High, BuildSummary.Format(links, Number(TableBytes), Number(ReservedBytes), steps));
    }

    private static long? Number(string? text) => long.TryParse(text, out var n) ? n : null;
}
