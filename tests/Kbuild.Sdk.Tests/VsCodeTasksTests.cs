using System.Text.Json;
using System.Text.RegularExpressions;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// The .vscode/tasks.json `dotnet new kproj` writes: its tasks, and its problem matchers read as VS Code reads them, on
/// what a terminal shows of real failing builds (VS Code runs a task in a terminal, so the terminal logger formats it).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class VsCodeTasksTests
{
    private static string TasksTemplate => Path.Combine(RepoPaths.Root, "src", "Kbuild.Sdk.Templates", "content", "kproj", ".vscode", "tasks.json");

    /// <summary>The tasks of a tasks.json (JSON with comments, as VS Code reads it).</summary>
    internal static JsonElement[] Tasks(string tasksJson, string? kernelBuildDir = null)
    {
        var text = File.ReadAllText(tasksJson);
        if (kernelBuildDir != null) text = text.Replace("@KERNEL_BUILD_DIR@", kernelBuildDir);
        using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return document.RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.Clone()).ToArray();
    }

    private static JsonElement[] Tasks(string kernelBuildDir) => Tasks(TasksTemplate, kernelBuildDir);

    /// <summary>A task's command line, its workspace folder being <paramref name="workspaceFolder"/>.</summary>
    internal static string[] Args(JsonElement task, string workspaceFolder = "${workspaceFolder}") =>
        task.GetProperty("args").EnumerateArray().Select(a => a.GetString()!.Replace("${workspaceFolder}", workspaceFolder)).ToArray();

    [TestMethod]
    public void Tasks_BuildByDefault_RelinkWithoutMake_AndDumpKallsyms()
    {
        var tasks = Tasks("/build");
        var build = tasks.Single(t => t.TryGetProperty("group", out var g) && g.ValueKind == JsonValueKind.Object && g.GetProperty("isDefault").GetBoolean());
        CollectionAssert.AreEqual(new[] { "build", "${workspaceFolder}/kernel.kproj", "-clp:NoSummary" }, Args(build));
        var commands = tasks.Select(t => string.Join(' ', Args(t))).ToList();
        CollectionAssert.Contains(commands, "build ${workspaceFolder}/kernel.kproj -p:KernelRunMake=false -clp:NoSummary");
        CollectionAssert.Contains(commands, "build ${workspaceFolder}/kernel.kproj -t:KallsymsDump -clp:NoSummary");
        Assert.IsTrue(tasks.All(t => t.GetProperty("command").GetString() == "dotnet" && t.TryGetProperty("problemMatcher", out _)));
    }

    /// <summary>
    /// Three failing builds in a terminal — a KB error in the linker script and an undefined symbol from ld (the sample,
    /// which builds its objects in its own directory: its "kernel build directory"), a gcc error in a kernel source that
    /// the kernel's make compiles (a small tree whose Makefile runs gcc) — each read with the default build task's matcher.
    /// Every error becomes a problem at an existing file, with its code and line.
    /// </summary>
    [TestMethod]
    public void BuildTaskMatcher_MakesFailingBuildsClickable()
    {
        using (var sample = new SampleCopy())
        {
            // One '}' too many: the SDK's linker-script reader (KB0320), before ld runs.
            var script = Path.Combine(sample.Dir, "minikernel.lds");
            File.WriteAllText(script, File.ReadAllText(script) + "}\n");
            var problem = BuildProblems(sample.Dir, sample.Dir).Single(p => p.Code == "KB0320");
            Assert.AreEqual(script, problem.File);
            Assert.IsGreaterThan(0, problem.Line);
            StringAssert.StartsWith(problem.Message, $"linker script line {problem.Line}: '}}' closes nothing");
        }
        using (var sample = new SampleCopy())
        {
            var main = Path.Combine(sample.Dir, "main.c");
            File.WriteAllText(main, File.ReadAllText(main).Replace("\tlevel2();", "\tlevel2();\n\tundefined_in_the_kernel();")
                .Replace("noinline void level2(void)", "void undefined_in_the_kernel(void);\nnoinline void level2(void)"));
            var problem = BuildProblems(sample.Dir, sample.Dir).Single(p => p.Code == "KB0303");
            Assert.AreEqual(main, problem.File, "ld names the object's source file");
            StringAssert.Contains(problem.Message, "undefined reference to `undefined_in_the_kernel'");
        }
        {
            // A build directory of 6.1 (its 'source' link to the fixture's tree, whose scripts the probe checks) whose make compiles a broken file.
            var tree = TestTemp.Directory("kbuild-broken-tree-");
            KernelFixtures.FakeBuildDir(tree, "6.1.0", "vmlinux:\n\t@echo '  CC      drivers/broken.o'\n\t@gcc -c -o drivers/broken.o drivers/broken.c\n",
                "CONFIG_64BIT=y\nCONFIG_X86_64=y\nCONFIG_KALLSYMS=y\n");
            Directory.CreateDirectory(Path.Combine(tree, "drivers"));
            File.WriteAllText(Path.Combine(tree, "drivers", "broken.c"), "int broken(void)\n{\n\treturn undeclared;\n}\n");
            var project = TestTemp.Directory("kbuild-broken-project-");
            KernelProject.Write(Path.Combine(project, "kernel.kproj"), [("KernelBuildDir", tree), ("VmlinuxOutputPath", "image/vmlinux")]);
            var problems = BuildProblems(project, tree);
            var gcc = problems.Single(p => p.Code == "KB0523");
            Assert.AreEqual((Path.Combine(tree, "drivers", "broken.c"), 3), (gcc.File, gcc.Line), "gcc's error, its path relative to make's directory");
            StringAssert.Contains(gcc.Message, "undeclared (first use in this function)");
        }
    }

    /// <summary>A problem as VS Code lists it: the file it opens, the line, the code and the message.</summary>
    private sealed record Problem(string File, int Line, string Code, string Message);

    /// <summary>
    /// $msCompile as microsoft/vscode defines it (src/vs/workbench/contrib/tasks/common/problemMatcher.ts, the
    /// ProblemPatternRegistry's defaults): file 1, location 2, severity 4, code 5, message 6.
    /// </summary>
    private static readonly Regex MsCompile = new(
        @"^\s*(?:\s*\d+>)?(\S.*?)(?:\((\d+|\d+,\d+|\d+,\d+,\d+,\d+)\))?\s*:\s+(?:(\S+)\s+)?((?:fatal +)?error|warning|info)\s+(\w+\d+)?\s*:\s*(.*)$");

    /// <summary>Runs the default build task's command in a terminal in <paramref name="projectDir"/> (it must fail) and reads
    /// the screen with its matcher, the build directory being <paramref name="kernelBuildDir"/>.</summary>
    private static List<Problem> BuildProblems(string projectDir, string kernelBuildDir)
    {
        var task = Tasks(kernelBuildDir).Single(t => t.GetProperty("label").GetString() == "kernel: build");
        var matcher = task.GetProperty("problemMatcher");
        Assert.AreEqual("$msCompile", matcher.GetProperty("base").GetString());
        var fileLocation = matcher.GetProperty("fileLocation").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.AreEqual("autoDetect", fileLocation[0]);

        using var terminal = new TmuxTerminal(projectDir, width: 160);
        var command = "dotnet " + string.Join(' ', Args(task, projectDir));
        var run = terminal.Run(command, TimeSpan.FromMinutes(5));
        Assert.AreNotEqual(0, run.ExitCode, run.Screen);
        var problems = run.Lines.Select(l => MsCompile.Match(l)).Where(m => m.Success)
            .Select(m => new Problem(AutoDetect(m.Groups[1].Value, fileLocation[1]), Line(m.Groups[2].Value), m.Groups[5].Value, m.Groups[6].Value))
            .ToList();
        Console.WriteLine(run.Screen);  // the test's output, shown when an assertion on its problems fails
        return problems;
    }

    /// <summary>VS Code's "autoDetect" file location: relative to the prefix if that file exists, else the path as it is.</summary>
    private static string AutoDetect(string file, string prefix) =>
        System.IO.File.Exists(Path.Combine(prefix, file)) ? Path.Combine(prefix, file) : file;

    /// <summary>The line of a location "(l)", "(l,c)" or "(l,c,el,ec)"; 0 when there is none.</summary>
    private static int Line(string location) => location.Length == 0 ? 0 : int.Parse(location.Split(',')[0]);
}
