using Kbuild.Diagnostics;
using Kbuild.Kernel;
using Kbuild.Symbols;

namespace Kbuild.Tests.Symbols;

/// <summary>mksysmap's patterns per series, as System.map's filter applies them (against sed).</summary>
[TestClass]
public sealed class SystemMapFilterTests
{
    [TestMethod]
    public void BuiltInFiltersAreTheTranslationOfTheirPatterns()
    {
        foreach (var series in KernelSeries.Supported)
        {
            var filter = SystemMapFilter.For(series);
            Assert.AreEqual(SystemMapFilter.ToNetPattern(filter.DeletedLinePatterns), filter.NetPattern, filter.SeriesName);
        }
        // Every precompiled expression stands for a series' patterns (none is left over from a series that changed).
        foreach (var precompiled in SystemMapFilter.PrecompiledExpressions)
            Assert.IsTrue(KernelSeries.Supported.Any(s => SystemMapFilter.ToNetPattern(s.SystemMapPatterns) == precompiled.ToString()), precompiled.ToString());
    }

    [TestMethod]
    public void RuntimeFilterFromPatternsMatchesSed()
    {
        var filter = new SystemMapFilter("test", [@" __[[:alnum:]]*Thunk_", @"_veneer$", @"^0*1 ", @" x\.y"]);
        const string input = "0000000000000001 T a\n0000000000000002 T __abcThunk_x\n0000000000000002 T __a_Thunk_x\n" +
            "0000000000000003 t f_veneer\n0000000000000003 t f_veneer_x\n0000000000000004 t x.y\n0000000000000004 t xzy\n";
        var expected = Tool.RunChecked("sed", ["-e", @"/ __[[:alnum:]]*Thunk_/d", "-e", "/_veneer$/d", "-e", "/^0*1 /d", "-e", @"/ x\.y/d"],
            stdin: input);
        var ours = string.Concat(input.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => filter.Keeps(l)).Select(l => l + "\n"));
        Assert.AreEqual(expected, ours);
    }

    [TestMethod]
    public void FilterIsChosenByKernelSeries()
    {
        Assert.AreSame(SystemMapFilter.For(KernelSeries.Linux6_1), SystemMapFilter.ForKernel("6.1.192"));
        Assert.AreSame(SystemMapFilter.For(KernelSeries.Linux6_1), SystemMapFilter.ForKernel("6.1"));
        Assert.AreSame(SystemMapFilter.For(KernelSeries.Linux6_12), SystemMapFilter.ForKernel("6.12.48+deb13-amd64"));
        Assert.AreSame(SystemMapFilter.For(KernelSeries.Linux7_3), SystemMapFilter.ForKernel("7.3.4"));
        foreach (var (unknown, code) in new[] { ("5.10.1", ErrorCodes.KallsymsVersionUnsupported), ("6.13", ErrorCodes.KallsymsVersionUnsupported),
                     ("", ErrorCodes.KernelVersionInvalid), ("six", ErrorCodes.KernelVersionInvalid) })
            Assert.AreEqual(code, Assert.ThrowsExactly<KbuildException>(() => SystemMapFilter.ForKernel(unknown)).Code, unknown);
    }
}
