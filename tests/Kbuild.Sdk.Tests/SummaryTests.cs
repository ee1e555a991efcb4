using System.Text.RegularExpressions;
using Kbuild.Tests;
using Microsoft.Build.Framework;
using Microsoft.Build.Logging;
using Kbuild.Table;

namespace Kbuild.Sdk.Tests;

/// <summary>The line a build ends with, and what a binary log holds for inspection.</summary>
[TestClass]
[DoNotParallelize]
public sealed partial class SummaryTests
{
    [GeneratedRegex(@"Kbuild\.Sdk: (?<links>\d+) links?; kallsyms table (?<used>\d+) of (?<reserved>\d+) reserved bytes \(\d+\.\d%\); " +
                    @"reservation \d+\.\d\d s, link \d+\.\d\d s, patch\+verify \d+\.\d\d s, (?<postlink>post-link \d+\.\d\d s, )?System\.map \d+\.\d\d s")]
    private static partial Regex SummaryLine();

    /// <summary>The room the reservation gave the table, as the patcher reads it (obj/kallsyms.reserve.json).</summary>
    private static long ReservedPerRoomsFile(SyntheticKernel kernel) =>
        Kbuild.Table.ReservationRooms.Read(Path.Combine(kernel.Dir, "obj", "kallsyms.reserve.json")).Arrays.Sum(a => a.Reserved);

    [TestMethod]
    public void Build_EndsWithLinksTableUseAndStepTimes_NoOpSaysUpToDate()
    {
        using var kernel = new SyntheticKernel();
        var (exit, output) = BuildRunner.DotnetBuild(kernel.Project, "-p:KbuildPostLinkTargets=TestPostLink");
        Assert.AreEqual(0, exit, output);

        var line = SummaryLine().Match(output);
        Assert.IsTrue(line.Success, output);
        Assert.AreEqual("1", line.Groups["links"].Value);
        Assert.AreEqual(ReservedPerRoomsFile(kernel), long.Parse(line.Groups["reserved"].Value));
        Assert.AreEqual(line.Groups["reserved"].Value, line.Groups["used"].Value, "one link: the prediction is exact, no slack");
        Assert.IsTrue(line.Groups["postlink"].Success, "post-link targets are timed: " + line.Value);
        Assert.IsTrue(output.TrimEnd().EndsWith(line.Value) || output.IndexOf(line.Value) > output.IndexOf("KbuildSystemMap"),
            "the summary comes last");

        var (_, noOp) = BuildRunner.DotnetBuild(kernel.Project, "-p:KbuildPostLinkTargets=TestPostLink");
        StringAssert.Contains(noOp, "Kbuild.Sdk: 0 links; reservation up to date, link up to date, patch+verify up to date, System.map up to date");
    }

    [TestMethod]
    public void AnOverflowedTable_CountsTwoLinks()
    {
        using var kernel = new SyntheticKernel();
        var outcome = kernel.Build(new Dictionary<string, string>
        {
            ["KallsymsSlackPercent"] = "0",
            ["KallsymsSlackMinBytes"] = "0",
            ["LdFlags"] = "-m elf_x86_64 -z noexecstack --defsym=a_symbol_only_the_linker_knows_about=_stext",
        });
        Assert.IsTrue(outcome.Succeeded, outcome.ToString());
        var line = SummaryLine().Match(outcome.ToString());
        Assert.IsTrue(line.Success, outcome.ToString());
        Assert.AreEqual("2", line.Groups["links"].Value);
        Assert.AreEqual(ReservedPerRoomsFile(kernel), long.Parse(line.Groups["reserved"].Value));
    }

    [TestMethod]
    public void BinaryLog_HoldsTheLinkerResponseFileAndTheReservationsNumbers()
    {
        using var kernel = new SyntheticKernel();
        var binlog = Path.Combine(kernel.Dir, "msbuild.binlog");
        var (exit, output) = BuildRunner.DotnetBuild(kernel.Project, $"-bl:{binlog}");
        Assert.AreEqual(0, exit, output);

        var messages = new List<string>();
        var replay = new BinaryLogReplayEventSource();
        replay.AnyEventRaised += (_, e) =>
        {
            // A task's output property is a TaskParameterEventArgs: the property's name and its value.
            if (e is TaskParameterEventArgs { Kind: TaskParameterMessageKind.TaskOutput } p)
                messages.Add($"{p.ItemType}={string.Join(";", p.Items.Cast<object>().Select(i => i is ITaskItem t ? t.ItemSpec : i.ToString()))}");
            else if (e is BuildMessageEventArgs { Message: { } m }) messages.Add(m);
        };
        replay.Replay(binlog);

        // LinkVmlinux logs the command with the response file's lines, as ToolTask does: every input, the reservation object last.
        Assert.IsTrue(messages.Any(m => m.Contains("--whole-archive") && m.Contains(kernel.ReservationObject) &&
                                        m.Contains("lib/lib.a")), "no linker command in the binary log:\n" +
            string.Join('\n', messages.Where(m => m.Contains("whole-archive"))));
        var reserved = ReservedPerRoomsFile(kernel);
        foreach (var property in new[] { $"KallsymsReservationBytes={reserved}", $"KallsymsReservedBytes={reserved}", "KallsymsTableBytes=" })
            Assert.IsTrue(messages.Any(m => m.Contains(property)), $"{property} is not in the binary log:\n" +
                string.Join('\n', messages.Where(m => m.Contains("Kallsyms") && m.Contains('='))));
        Assert.IsTrue(messages.Any(m => m.StartsWith("kallsyms reservation: ")), "the reservation's description is not in the binary log");
    }
}
