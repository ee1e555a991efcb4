using System.Text.RegularExpressions;
using Kbuild.Diagnostics;
using Kbuild.Kernel;
using Kbuild.KernelTree;

namespace Kbuild.Tests.Kernel;

/// <summary>
/// The series descriptors against the kernel trees they describe: every script the SDK models is recognised in the
/// fixture's source tree, System.map's patterns are the tree's own mksysmap, and a tree whose script differs in code
/// (not in a comment) is refused with the script named.
/// </summary>
[TestClass]
public sealed class KernelSeriesTests
{
    public static IEnumerable<object[]> Series => KernelSeries.Supported.Select(s => new object[] { s.Name });

    [TestMethod]
    [DynamicData(nameof(Series))]
    public void TheFixtureSourceTreesScriptsAreRecognised(string series) =>
        KernelSeries.For(series).EnsureScriptsRecognised(KernelFixtures.SourceDir(series));

    [TestMethod]
    [DynamicData(nameof(Series))]
    public void SystemMapPatternsAreTheTreesMksysmap(string series)
    {
        var mksysmap = File.ReadAllText(Path.Combine(KernelFixtures.SourceDir(series), "scripts", "mksysmap"));
        // 6.1: `$NM -n $1 | grep -v -e 'pattern' …`; 6.12 on: a sed script of /pattern/d lines.
        var grep = Regex.Matches(mksysmap, @"-e '([^']*)'");
        var sed = Regex.Matches(mksysmap, @"^/(.*)/d$", RegexOptions.Multiline);
        var patterns = (grep.Count > 0 ? grep : sed).Select(m => m.Groups[1].Value).ToList();
        Assert.IsGreaterThan(5, patterns.Count);
        CollectionAssert.AreEqual(patterns, KernelSeries.For(series).SystemMapPatterns.ToList());
    }

    [TestMethod]
    public void AChangedLineOfCodeIsRefusedAChangedCommentIsNot()
    {
        var series = KernelSeries.Linux7_3;
        var tree = TestTemp.Directory("kbuild-series-");
        foreach (var script in series.Scripts)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(tree, script.Path))!);
            File.Copy(Path.Combine(KernelFixtures.SourceDir(series.Name), script.Path), Path.Combine(tree, script.Path));
        }
        series.EnsureScriptsRecognised(tree);

        var linkScript = Path.Combine(tree, "scripts", "link-vmlinux.sh");
        File.WriteAllText(linkScript, File.ReadAllText(linkScript).Replace("# Nice output in kbuild format", "#  Nice output, kbuild's format") + "\n# a comment\n\n");
        var kallsyms = Path.Combine(tree, "scripts", "kallsyms.c");
        File.WriteAllText(kallsyms, File.ReadAllText(kallsyms).Replace("/* the table that holds", "/* The table that holds"));
        series.EnsureScriptsRecognised(tree);

        File.WriteAllText(kallsyms, File.ReadAllText(kallsyms).Replace("printf(\"\\t.balign 4\\n\");", "printf(\"\\t.balign 8\\n\");"));
        var e = Assert.ThrowsExactly<KbuildException>(() => series.EnsureScriptsRecognised(tree));
        Assert.AreEqual(ErrorCodes.KernelScriptUnknown, e.Code);
        Assert.AreEqual(kallsyms, e.File);
        StringAssert.Contains(e.Message, "scripts/kallsyms.c is not a version this SDK knows for Linux 7.3");
    }

    [TestMethod]
    public void AMissingScriptIsNamed()
    {
        var tree = TestTemp.Directory("kbuild-series-");
        var e = Assert.ThrowsExactly<KbuildException>(() => KernelSeries.Linux6_12.EnsureScriptsRecognised(tree));
        Assert.AreEqual(ErrorCodes.KernelScriptUnknown, e.Code);
        StringAssert.Contains(e.Message, "scripts/kallsyms.c");
    }

    /// <summary>7.x's link-vmlinux.sh passes --pc-relative under "CONFIG_64BIT || CONFIG_RELOCATABLE".</summary>
    [TestMethod]
    [DataRow("CONFIG_64BIT=y\n", "--pc-relative")]
    [DataRow("CONFIG_RELOCATABLE=y\n", "--pc-relative")]
    [DataRow("CONFIG_KALLSYMS_ALL=y\nCONFIG_64BIT=y\n", "--all-symbols --pc-relative")]
    [DataRow("", "")]
    public void KallsymsOptionsOf73AreReadFromItsLinkScript(string autoConf, string expected)
    {
        var dir = TestTemp.Directory("kbuild-series-");
        Directory.CreateDirectory(Path.Combine(dir, "include", "config"));
        File.WriteAllText(Path.Combine(dir, "include", "config", "auto.conf"), autoConf);
        var options = KernelTreeValues.KallsymsOptionsOf(KernelConfig.Load(dir), Path.Combine(KernelFixtures.SourceDir("7.3"), "scripts", "link-vmlinux.sh"));
        Assert.AreEqual(expected, string.Join(' ', options));
    }
}
