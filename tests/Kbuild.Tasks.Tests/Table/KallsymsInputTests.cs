using Kbuild.Kernel;
using Kbuild.Diagnostics;
using Kbuild.Symbols;
using Kbuild.Table;

namespace Kbuild.Tests.Table;

[TestClass]
public sealed class KallsymsInputTests
{
    [TestMethod]
    [DataRow("6.1", 6, 1, 0)]
    [DataRow("6.1.192", 6, 1, 192)]
    [DataRow("6.12.48", 6, 12, 48)]
    [DataRow("6.12.48-amd64", 6, 12, 48)]
    [DataRow("6.1.0+deb12", 6, 1, 0)]
    public void ParsesKernelVersions(string text, int major, int minor, int patch) =>
        Assert.AreEqual(new KernelVersion(major, minor, patch), KernelVersion.Parse(text));

    [TestMethod]
    [DataRow("")]
    [DataRow("6")]
    [DataRow("six.one")]
    [DataRow("6.1.2.3")]
    [DataRow("6.1x")]
    public void RejectsMalformedVersions(string text) =>
        Assert.AreEqual(ErrorCodes.KernelVersionInvalid, Assert.ThrowsExactly<KbuildException>(() => KernelVersion.Parse(text)).Code);

    [TestMethod]
    public void ChoosesTheSeriesByMajorAndMinor()
    {
        Assert.AreSame(KernelSeries.Linux6_1, KernelSeries.For("6.1.192"));
        Assert.AreSame(KernelSeries.Linux6_12, KernelSeries.For("6.12"));
        Assert.AreSame(KernelSeries.Linux7_2, KernelSeries.For("7.2.13"));
        Assert.AreSame(KernelSeries.Linux7_3, KernelSeries.For("7.3.4+bpo-amd64"));
        foreach (var unknown in new[] { "5.10.1", "6.6.30", "6.13", "7.4" })
        {
            var e = Assert.ThrowsExactly<KbuildException>(() => KernelSeries.For(unknown));
            Assert.AreEqual(ErrorCodes.KallsymsVersionUnsupported, e.Code);
            StringAssert.Contains(e.Message, "6.1, 6.12, 7.2, 7.3");
        }
    }

    [TestMethod]
    [DataRow("ffffffff81000000 T")]
    [DataRow("ffffffff81000000 T  two_spaces")]
    [DataRow("xyz T name")]
    [DataRow("ffffffff81000000 T name with spaces")]
    [DataRow("                 U undefined_without_address")]
    [DataRow("")]
    public void MapLineThatDoesNotParseIsAnErrorWithItsLine(string bad)
    {
        var text = $"ffffffff81000000 T _text\n{bad}\n";
        var e = Assert.ThrowsExactly<KbuildException>(() => SystemMap.Parse(new StringReader(text), "System.map"));
        Assert.AreEqual(ErrorCodes.SystemMapLineInvalid, e.Code);
        Assert.AreEqual(2, e.Line);
        Assert.AreEqual("System.map", e.File);
    }

    [TestMethod]
    public void MissingMapIsAnError() =>
        Assert.AreEqual(ErrorCodes.SystemMapUnreadable,
            Assert.ThrowsExactly<KbuildException>(() => SystemMap.Read("/nonexistent/System.map")).Code);

    [TestMethod]
    public void LtoClangIsRejectedWhereTheKernelToolHasNoSuchOption()
    {
        var e = Assert.ThrowsExactly<KbuildException>(() => KallsymsGenerator.Generate([new NmSymbol(0, 'T', "_stext")],
            KernelSeries.For("6.12").Kallsyms, new KallsymsOptions { LtoClang = true }, KallsymsTarget.X86_64));
        Assert.AreEqual(ErrorCodes.KallsymsOptionUnsupported, e.Code);
    }
}
