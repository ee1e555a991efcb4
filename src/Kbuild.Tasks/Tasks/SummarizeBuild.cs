using Kbuild.Outputs;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// The build's last line (<see cref="BuildSummary"/>). Steps: one item per step target clocked by Summary.targets,
/// named for the step, with metadata Start and End (UTC ticks), File (what the step writes) and optionally
/// Within (the step whose time includes it).
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
        var steps = Steps
            .Where(s => long.TryParse(s.GetMetadata("Start"), out _) && long.TryParse(s.GetMetadata("End"), out _))
            .Select(s => StepTime.Of(s.ItemSpec, new DateTime(long.Parse(s.GetMetadata("Start")), DateTimeKind.Utc),
                new DateTime(long.Parse(s.GetMetadata("End")), DateTimeKind.Utc), s.GetMetadata("File"),
                s.GetMetadata("Within") is { Length: > 0 } w ? w : null))
            .ToList();
        var links = (steps.Any(s => s.Name == "link" && s.Ran) ? 1 : 0) + (Overflowed ? 1 : 0);
        Log.LogMessage(MessageImportance.High, BuildSummary.Format(links, Number(TableBytes), Number(ReservedBytes), steps));
    }

    private static long? Number(string? text) => long.TryParse(text, out var n) ? n : null;
}
