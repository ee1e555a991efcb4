namespace Kbuild.Tests;

/// <summary>
/// The real kernels the tests check against, built by eng/kernel-fixtures.sh into a cache outside the
/// repo ($KBUILD_FIXTURES, default ~/.cache/kbuild-sdk). A missing fixture makes a test inconclusive
/// with the command that builds it — or fails it when KBUILD_REQUIRE_FIXTURES=1 (eng/test.sh sets it),
/// so CI can never pass by skipping.
/// </summary>
public static class KernelFixtures
{
    /// <summary>eng/kernel-fixtures.sh, the one place the fixtures' settings are written down.</summary>
    private static readonly Lazy<string> FixturesScript = new(() => File.ReadAllText(Path.Combine(RepoPaths.Root, "eng", "kernel-fixtures.sh")));

    public static string Root =>
        Environment.GetEnvironmentVariable("KBUILD_FIXTURES") is { Length: > 0 } r
            ? r
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "kbuild-sdk");

    /// <summary>Kernel source tree for "6.1" or "6.12" (extracted from Debian's linux-source-X package).</summary>
    public static string SourceDir(string version) => Require(Path.Combine(Root, "src", $"linux-{version}"), version);

    /// <summary>Out-of-tree build directory (O=) of a kernel linked by the kernel's own make, e.g. ("6.1", "A");
    /// complete only once eng/kernel-fixtures.sh wrote its .kbuild-fixture stamp.</summary>
    public static string BuildDir(string version, string config) =>
        Require(Path.Combine(Root, "build", $"{version}-{config}"), $"{version}-{config}", ".kbuild-fixture");

    /// <summary>Makes <paramref name="dir"/> look like a configured build directory of <paramref name="release"/> whose make
    /// runs <paramref name="makefile"/>: include/config/auto.conf and kernel.release, a Makefile, and for a release of a
    /// known series a 'source' link to that series' fixture source tree, whose scripts the probe recognises.</summary>
    public static void FakeBuildDir(string dir, string release, string makefile, string autoConf)
    {
        Directory.CreateDirectory(Path.Combine(dir, "include", "config"));
        File.WriteAllText(Path.Combine(dir, "include", "config", "auto.conf"), autoConf);
        File.WriteAllText(Path.Combine(dir, "include", "config", "kernel.release"), release + "\n");
        File.WriteAllText(Path.Combine(dir, "Makefile"), makefile);
        if (Kbuild.Kernel.KernelVersion.TryParse(release, out var version) && Kbuild.Kernel.KernelSeries.TryFor(version) is { } series)
            Directory.CreateSymbolicLink(Path.Combine(dir, "source"), SourceDir(series.Name));
    }

    /// <summary>A copied O= build directory builds in the original (its generated Makefile exports KBUILD_OUTPUT): point
    /// it at the copy, as `make O=copy` would have written it.</summary>
    public static void MakeBuildDirItsOwn(string copy)
    {
        var makefile = Path.Combine(copy, "Makefile");
        File.WriteAllText(makefile, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(makefile),
            @"^export KBUILD_OUTPUT = .*$", $"export KBUILD_OUTPUT = {copy}", System.Text.RegularExpressions.RegexOptions.Multiline));
    }

    /// <summary>The KBUILD_BUILD_TIMESTAMP the BTF fixtures are built with (eng/kernel-fixtures.sh), so the kernel's
    /// pahole runs without -j and a relink with the same value reproduces their .BTF.</summary>
    public static string BtfBuildTimestamp =>
        System.Text.RegularExpressions.Regex.Match(FixturesScript.Value,
            "^btf_build_timestamp=\"([^\"]+)\"", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;

    /// <summary>The make variables eng/kernel-fixtures.sh builds a fixture with (its make_vars, e.g. "ARCH=arm64 LLVM=-16"),
    /// as shell words, for every later make of that build dir.</summary>
    public static string MakeVariables(string version, string config)
    {
        var makeVars = System.Text.RegularExpressions.Regex.Match(FixturesScript.Value,
            @"^make_vars\(\).*?^}", System.Text.RegularExpressions.RegexOptions.Multiline | System.Text.RegularExpressions.RegexOptions.Singleline).Value;
        foreach (var pattern in new[] { $"{version}-{config}", $"*-{config}" })
            if (System.Text.RegularExpressions.Regex.Match(makeVars, $@"^\s+{System.Text.RegularExpressions.Regex.Escape(pattern)}\) echo ""([^""]*)"" ;;",
                    System.Text.RegularExpressions.RegexOptions.Multiline) is { Success: true } m)
                return m.Groups[1].Value;
        return "";
    }

    /// <summary>The fixtures `eng/kernel-fixtures.sh all` builds (its ci_fixtures), which CI requires; a version (6.1
    /// src) or one of the matrix's other fixtures (6.1-BTF, …) that is missing skips its tests instead.</summary>
    private static readonly Lazy<HashSet<string>> CiFixtures = new(() =>
    {
        var list = System.Text.RegularExpressions.Regex.Match(FixturesScript.Value, @"^ci_fixtures=\(([^)]*)\)", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
        var fixtures = list.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        // A source tree is required when a fixture of its version is.
        fixtures.UnionWith(fixtures.Select(f => f[..f.LastIndexOf('-')]).ToList());
        return fixtures;
    });

    private static string Require(string dir, string fixture, string? mustContain = null)
    {
        var probe = mustContain == null ? dir : Path.Combine(dir, mustContain);
        if (Directory.Exists(probe) || File.Exists(probe)) return dir;
        var message = $"kernel fixture '{fixture}' is missing ({probe}); build it with: eng/kernel-fixtures.sh {fixture}";
        if (Environment.GetEnvironmentVariable("KBUILD_REQUIRE_FIXTURES") == "1" && CiFixtures.Value.Contains(fixture)) Assert.Fail(message);
        Assert.Inconclusive(message);
        return dir;
    }
}
