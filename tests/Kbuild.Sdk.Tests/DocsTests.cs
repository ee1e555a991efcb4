using System.Reflection;
using System.Text.RegularExpressions;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// Docs that run: every command in a fenced sh block of README.md, docs/*.md and samples/*/README.md is in the
/// checked list below, which says how it is exercised — run here as written (in a copy of the samples), by the
/// named test, or by .ci/run; benchmark-only commands are checked to parse and to name what their scripts accept.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed partial class DocsTests
{
    private const string RunHere = "run";
    private const string CiRun = "ci";
    private const string Benchmark = "bench";
    private const string Matrix = "matrix";  // CI's fixtures and the matrix's others, then the suite: run by hand
    private const string Soak = "soak";  // eng/randconfig-soak.sh: hours of kernel builds, run by hand; its arguments are checked

    private static readonly Dictionary<string, string> HowExercised = new()
    {
        ["dotnet build samples/minikernel/kernel.kproj"] = RunHere,
        ["samples/minikernel/out/vmlinux"] = RunHere,
        ["dotnet build kernel.kproj -t:KallsymsDump"] = RunHere,
        ["dotnet build kernel.kproj -t:KallsymsDump -p:KallsymsDumpFile=kallsyms.txt"] = RunHere,
        ["dotnet build kernel.kproj -t:KallsymsVerify -p:Vmlinux=/path/to/vmlinux"] = RunHere,
        ["dotnet new sln --format slnx -n kernels"] = SolutionTest,
        ["dotnet sln kernels.slnx add kernel.kproj"] = SolutionTest,
        ["dotnet build kernels.slnx"] = SolutionTest,
        ["dotnet build kernel.kproj -tl:off -v:n"] = RunHere,
        ["dotnet build kernel.kproj -bl"] = RunHere,
        ["eng/test.sh"] = CiRun,
        ["eng/kernel-fixtures.sh matrix && eng/test.sh"] = Matrix,
        ["dotnet pack src/Kbuild.Sdk"] = $"{nameof(PackageTests)}.{nameof(PackageTests.PackedSdk_BuildsAProjectOutsideTheRepository)}",
        ["dotnet pack src/Kbuild.Sdk && dotnet pack src/Kbuild.Sdk.Templates"] = TemplateTest,
        ["dotnet new install artifacts/packages/Kbuild.Sdk.Templates.0.1.0.nupkg"] = TemplateTest,
        ["dotnet new kproj --kernel-build-dir ~/build/linux --kernel-source-dir ~/src/linux -o ~/kernel"] = TemplateTest,
        ["dotnet build ~/kernel/kernel.kproj"] = TemplateTest,
        ["export DOTNET_CLI_USE_MSBUILD_SERVER=1"] = $"{nameof(MSBuildServerTests)}.{nameof(MSBuildServerTests.ThroughTheMSBuildServer_EachKernelIsItsPlainBuild_AndANoOpLinksNothing)}",
        ["dotnet build samples/many-kernels/kernels.proj -m"] = ManyKernelsTest,
        ["dotnet build samples/many-kernels/kernels.proj -m -t:KallsymsVerify"] = ManyKernelsTest,
        ["eng/kernel-fixtures.sh 6.1-A 6.12-A"] = CiRun,
        ["eng/kernel-fixtures.sh 6.1-debug"] = Benchmark,
        ["RUNS=5 eng/bench/link-phase.sh ~/.cache/kbuild-sdk/build/6.1-A ~/.cache/kbuild-sdk/build/6.12-A"] = Benchmark,
        ["RUNS=5 TOUCH_RUNS=2 eng/bench/link-phase.sh --touch drivers/net/ethernet/intel/e1000/e1000_param.c ~/.cache/kbuild-sdk/build/6.1-debug"] = Benchmark,
        ["RUNS=3 CASES=\"kernel ours floor relink\" BASE=/tmp/base RESULTS=/tmp/b1 REUSE_PROBE=1 eng/bench/link-phase.sh ~/.cache/kbuild-sdk/build/6.1-A"] = Benchmark,
        ["RUNS=3 TOUCH_RUNS=2 CASES=\"kernel ours floor relink noop server\" eng/bench/link-phase.sh --touch drivers/net/ethernet/intel/e1000/e1000_param.c --touch-relink drivers/net/ethernet/intel/e1000/e1000_param.c ~/.cache/kbuild-sdk/build/6.1-debug"] = Benchmark,
        ["RUNS=5 CASES=\"kernel ours floor relink noop server\" eng/bench/link-phase.sh ~/.cache/kbuild-sdk/build/6.1-A ~/.cache/kbuild-sdk/build/6.12-A"] = Benchmark,
        ["RUNS=5 CASES=\"kernel ours floor noop relink server\" eng/bench/link-phase.sh ~/.cache/kbuild-sdk/build/7.3-A ~/.cache/kbuild-sdk/build/7.3-P"] = Benchmark,
        ["eng/kernel-fixtures.sh 7.3-btfdebug"] = Benchmark,
        ["RUNS=3 CASES=\"kernel ours floor noop relink server\" eng/bench/link-phase.sh ~/.cache/kbuild-sdk/build/7.3-btfdebug"] = Benchmark,
        ["RUNS=5 CASES=\"kernel ours floor\" BASE=../base eng/bench/link-phase.sh ~/.cache/kbuild-sdk/build/6.1-A ~/.cache/kbuild-sdk/build/6.12-B"] = Benchmark,
        ["eng/randconfig-soak.sh 6.12 1 20"] = Soak,
        ["eng/randconfig-soak.sh --arch arm64 6.12 1 5"] = Soak,
        ["KCONFIG_PROBABILITY=8 eng/randconfig-soak.sh 7.3 21 30"] = Soak,
        ["SOAK_CONFIG=eng/kconfig/soak-kaslr-modules.config eng/randconfig-soak.sh 6.12 13 22"] = Soak,
    };

    private const string TemplateTest = $"{nameof(TemplateTests)}.{nameof(TemplateTests.Kproj_FromTheFolderFeed_WritesAProjectThatBuildsAFixtureKernel)}";
    private const string SolutionTest = $"{nameof(SolutionTests)}.{nameof(SolutionTests.KernelAndCSharpProjects_InOneSlnx_BothBuild)}";
    private const string ManyKernelsTest = $"{nameof(ManyKernelsTests)}.{nameof(ManyKernelsTests.OneCommand_LinksBothKernelsInParallel_AndVerifiesThem)}";

    [GeneratedRegex(@"^```sh\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ShBlock();

    /// <summary>The commands of the docs' sh blocks, without trailing comments and padding.</summary>
    private static List<(string File, string Command)> DocCommands()
    {
        var root = RepoPaths.Root;
        var files = new[] { Path.Combine(root, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md"))
            .Concat(Directory.GetDirectories(Path.Combine(root, "samples")).Select(d => Path.Combine(d, "README.md")).Where(File.Exists));
        return files.SelectMany(f => ShBlock().Matches(File.ReadAllText(f).Replace("\r\n", "\n"))
                .SelectMany(m => m.Groups["body"].Value.Split('\n'))
                .Select(l => Regex.Replace(l, @"\s+#\s.*$", "").Trim())
                .Where(l => l.Length > 0 && !l.StartsWith('#'))
                .Select(l => (Path.GetRelativePath(root, f), l)))
            .ToList();
    }

    [TestMethod]
    public void EveryDocumentedCommand_IsInTheCheckedList_AndEveryEntryIsExercised()
    {
        var commands = DocCommands();
        var unlisted = commands.Where(c => !HowExercised.ContainsKey(c.Command)).Select(c => $"{c.File}: {c.Command}").ToList();
        Assert.IsEmpty(unlisted, "commands in the docs that no test exercises (add them to DocsTests.HowExercised):\n" + string.Join('\n', unlisted));
        var stale = HowExercised.Keys.Except(commands.Select(c => c.Command)).ToList();
        Assert.IsEmpty(stale, "listed commands no doc shows any more:\n" + string.Join('\n', stale));

        foreach (var (command, how) in HowExercised)
        {
            switch (how)
            {
                case RunHere or Benchmark or Soak:
                    break;
                case Matrix:
                    // `matrix` builds what `all` builds and the other versions; their tests skip while they are missing.
                    StringAssert.Contains(File.ReadAllText(Path.Combine(RepoPaths.Root, "eng", "kernel-fixtures.sh")),
                        "matrix) names+=(\"${ci_fixtures[@]}\" \"${matrix_fixtures[@]}\")");
                    break;
                case CiRun:
                    // .ci/run runs eng/test.sh, which builds every fixture of `all` with this script (6.1-A among them; 6.12-A is the matrix's).
                    StringAssert.Contains(File.ReadAllText(Path.Combine(RepoPaths.Root, ".ci", "run")), "eng/test.sh");
                    StringAssert.Contains(File.ReadAllText(Path.Combine(RepoPaths.Root, "eng", "test.sh")), "kernel-fixtures.sh\" all");
                    break;
                default:
                    var (type, method) = (how.Split('.')[0], how.Split('.')[1]);
                    var test = Assembly.GetExecutingAssembly().GetTypes().Single(t => t.Name == type).GetMethod(method);
                    Assert.IsNotNull(test?.GetCustomAttribute<TestMethodAttribute>(), $"'{command}': {how} is not a test");
                    break;
            }
        }
    }

    /// <summary>The "run" commands, as written, in a copy of samples/ (the SDK imported from this repository).</summary>
    [TestMethod]
    public void RunHereCommands_SucceedAsWritten()
    {
        using var samples = new SampleCopy(".");
        var project = Path.Combine(samples.Dir, "minikernel");
        var environment = new Dictionary<string, string> { ["MSBUILDDISABLENODEREUSE"] = "1" };
        foreach (var (command, how) in HowExercised.Where(e => e.Value == RunHere))
        {
            // Commands on "kernel.kproj" run in the project's directory; the others from the repository root.
            var inProject = command.Contains(" kernel.kproj");
            var script = command.Replace("/path/to/vmlinux", "out/vmlinux").Replace("samples/", "");
            var run = Tool.Run("bash", ["-c", script], inProject ? project : samples.Dir, environment: environment);
            Assert.AreEqual(0, run.ExitCode, $"'{command}' failed:\n{run.StdOut}{run.StdErr}");
        }
        Assert.IsTrue(File.Exists(Path.Combine(project, "kallsyms.txt")));
        Assert.IsTrue(File.Exists(Path.Combine(project, "msbuild.binlog")));
    }

    /// <summary>The soak's commands (hours of kernel builds) are not run here: the script parses, prints its usage, and
    /// refuses before building anything what it does not know — each documented command's series and options are known.</summary>
    [TestMethod]
    public void SoakCommands_ParseAndNameWhatTheScriptAccepts()
    {
        var script = Path.Combine(RepoPaths.Root, "eng", "randconfig-soak.sh");
        Tool.RunChecked("bash", ["-n", script]);
        StringAssert.Contains(Tool.RunChecked(script, ["--help"]), "KCONFIG_PROBABILITY");
        foreach (var (args, error) in new (string[], string)[]
        {
            (["5.10", "1"], "unknown series '5.10'"), (["6.12", "2", "1"], "first seed 2 is after last seed 1"),
            (["6.12", "x"], "seeds must be decimal numbers"), (["--arch", "riscv", "6.12", "1"], "unknown arch 'riscv'"),
            (["--jobs", "6.12", "1"], "unknown option '--jobs'"),
        })
        {
            var run = Tool.Run(script, args);
            Assert.AreEqual(2, run.ExitCode, $"{string.Join(' ', args)}: {run.StdOut}{run.StdErr}");
            StringAssert.Contains(run.StdErr, error);
        }
        var series = KernelSeriesNames();
        var known = Regex.Match(File.ReadAllText(script), @"case \$ver in (?<list>[0-9.|]+)\)").Groups["list"].Value.Split('|');
        CollectionAssert.AreEquivalent(series, known, "the soak's series are the SDK's");
        foreach (var command in HowExercised.Where(e => e.Value == Soak).Select(e => e.Key))
        {
            var words = command[command.IndexOf("eng/randconfig-soak.sh", StringComparison.Ordinal)..].Split(' ').Skip(1).ToList();
            if (Regex.Match(command, @"SOAK_CONFIG=(?<file>\S+)") is { Success: true } fragment)
                Assert.IsTrue(File.Exists(Path.Combine(RepoPaths.Root, fragment.Groups["file"].Value)), command);
            if (words[0] == "--arch") { CollectionAssert.Contains(new[] { "x86_64", "arm64" }, words[1]); words = words[2..]; }
            CollectionAssert.Contains(series, words[0], command);
            Assert.IsTrue(words.Skip(1).All(w => w.All(char.IsAsciiDigit)), command);
        }
    }

    private static List<string> KernelSeriesNames() => Kbuild.Kernel.KernelSeries.Supported.Select(s => s.Name).ToList();

    [TestMethod]
    public void BenchmarkCommands_ParseAndNameWhatTheirScriptsAccept()
    {
        var fixtures = File.ReadAllText(Path.Combine(RepoPaths.Root, "eng", "kernel-fixtures.sh"));
        foreach (var command in HowExercised.Where(e => e.Value == Benchmark).Select(e => e.Key))
        {
            var script = Regex.Match(command, @"eng/\S+\.sh").Value;
            Tool.RunChecked("bash", ["-n", Path.Combine(RepoPaths.Root, script)]);
            foreach (var fixture in Regex.Matches(command, @"\b[67]\.\d+-(?<config>[A-Za-z0-9]+)\b").Select(m => m.Groups["config"].Value))
                Assert.IsTrue(Regex.IsMatch(fixtures, $@"\b{fixture}\b"), $"'{command}': kernel-fixtures.sh knows no '{fixture}'");
            if (command.Contains("--touch")) StringAssert.Contains(File.ReadAllText(Path.Combine(RepoPaths.Root, script)), "--touch");
        }
    }
}
