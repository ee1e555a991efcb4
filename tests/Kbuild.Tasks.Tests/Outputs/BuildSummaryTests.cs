using Kbuild.Outputs;

namespace Kbuild.Tests.Outputs;

/// <summary>The summary line from its numbers (SummaryTests see it only at the end of whole builds).</summary>
[TestClass]
public sealed class BuildSummaryTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static StepTime Step(string name, double start, double end, bool ran = true, string? within = null) =>
        new(name, T0.AddSeconds(start), T0.AddSeconds(end), ran, within);

    [TestMethod]
    public void ALineOfLinksRoomAndSteps_AnInnerStepCountedOnce()
    {
        var line = BuildSummary.Format(2, 2742, 3140,
        [
            Step("reservation", 0, 0.95), Step("link", 1, 1.06), Step("patch+verify", 1.1, 1.5),
            Step("post-link", 1.2, 1.3, within: "patch+verify"), Step("System.map", 1.5, 1.53, ran: false),
        ]);
        Assert.AreEqual("Kbuild.Sdk: 2 links; kallsyms table 2742 of 3140 reserved bytes (87.3%); reservation 0.95 s, link 0.06 s, " +
            "patch+verify 0.30 s, post-link 0.10 s, System.map up to date", line);
    }

    [TestMethod]
    public void WithoutATableThereIsNoRoom() =>
        Assert.AreEqual("Kbuild.Sdk: 1 link; link 0.06 s", BuildSummary.Format(1, null, null, [Step("link", 1, 1.06)]));
}
