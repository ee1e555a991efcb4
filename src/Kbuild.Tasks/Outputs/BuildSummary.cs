using System.Globalization;

namespace Kbuild.Outputs;

/// <summary>
/// One step of the pipeline as the build clocked it: when its target started and ended, and whether it did
/// work (its output was written after it started) or was skipped as up to date. <see cref="Within"/> names the
/// step whose time includes this one (post-link targets run inside the patch step), so it is counted once.
/// </summary>
public sealed record StepTime(string Name, DateTime Start, DateTime End, bool Ran, string? Within = null)
{
    public TimeSpan Elapsed => End > Start ? End - Start : TimeSpan.Zero;

    /// <summary>Linux stamps files from its coarse clock, up to a jiffy behind the one the build reads: a file written
    /// right after a step started can look older than the start.</summary>
    private static readonly TimeSpan FileClockLag = TimeSpan.FromMilliseconds(50);

    /// <summary>A step's clock and output: it ran when <paramref name="output"/> was written after <paramref name="start"/>.</summary>
    public static StepTime Of(string name, DateTime start, DateTime end, string output, string? within = null) =>
        new(name, start, end, File.Exists(output) && File.GetLastWriteTimeUtc(output) >= start - FileClockLag, within);
}

/// <summary>The line a build ends with: links run, the kallsyms table's use of its room, and each step's time.</summary>
public static class BuildSummary
{
    public static string Format(int links, long? tableBytes, long? reservedBytes, IReadOnlyList<StepTime> steps)
    {
        var parts = new List<string> { links == 1 ? "1 link" : $"{links} links" };
        if (tableBytes is { } used && reservedBytes is > 0 and var reserved)
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"kallsyms table {used} of {reserved} reserved bytes ({100.0 * used / reserved:0.0}%)"));
        var times = new List<string>();
        foreach (var group in steps.GroupBy(s => s.Name))
        {
            var inner = steps.Where(s => s.Within == group.Key).Sum(s => s.Elapsed.Ticks);
            var elapsed = TimeSpan.FromTicks(Math.Max(0, group.Sum(s => s.Elapsed.Ticks) - inner));
            times.Add(group.Any(s => s.Ran)
                ? string.Create(CultureInfo.InvariantCulture, $"{group.Key} {elapsed.TotalSeconds:0.00} s")
                : $"{group.Key} up to date");
        }
        return $"Kbuild.Sdk: {string.Join("; ", parts)}; {string.Join(", ", times)}";
    }
}
