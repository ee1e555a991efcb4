using System.Text;
using Kbuild.Diagnostics;
using Kbuild.IO;

namespace Kbuild.Tests.IO;

/// <summary>The one tool runner: streamed lines, a cancel that stops the whole process tree (and lets make clean up), a tool
/// that cannot start, and compiler-style diagnostics.</summary>
[TestClass]
public sealed class ToolProcessTests
{
    [TestMethod]
    public void ToolProcess_StreamsEachLineWhileTheToolRuns()
    {
        var seen = new List<(string Line, DateTime At)>();
        var tools = new ToolProcess { OnLine = (line, _) => seen.Add((line, DateTime.UtcNow)) };
        var r = tools.Run("sh", ["-c", "echo first; sleep 1; echo second >&2; exit 3"]);
        var end = DateTime.UtcNow;
        Assert.AreEqual(3, r.ExitCode);
        CollectionAssert.AreEqual(new[] { "first", "second" }, seen.Select(s => s.Line).ToArray());
        Assert.IsTrue(end - seen[0].At > TimeSpan.FromMilliseconds(500), "the first line arrived only when the tool ended");
    }

    [TestMethod]
    public void ToolProcess_CancelKillsTheWholeProcessTree()
    {
        using var tree = new TempTree();
        var pidFile = tree.PathOf("child.pid");
        using var cancel = new CancellationTokenSource();
        var tools = new ToolProcess { Cancel = cancel.Token, OnLine = (_, _) => cancel.Cancel() };
        var started = DateTime.UtcNow;
        Assert.ThrowsExactly<OperationCanceledException>(() =>
            tools.Run("sh", ["-c", $"sleep 60 & echo $! > '{pidFile}'; echo started; wait"]));
        Assert.IsTrue(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the cancel did not stop the tool");
        var child = File.ReadAllText(pidFile).Trim();
        Thread.Sleep(200);
        Assert.IsFalse(Directory.Exists($"/proc/{child}") && !File.ReadAllText($"/proc/{child}/stat").Contains(") Z "),
            "the tool's child (sleep) outlived the cancel");
    }

    /// <summary>A cancelled make gets to delete the target it was half-way through, as after Ctrl-C in a terminal
    /// (a SIGKILLed make leaves it, and the next make trusts it: a vmlinux.o objtool never finished) — also when make
    /// runs with SIGINT ignored, as everything a shell starts in the background does (`eng/test.sh &`, nohup).</summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ToolProcess_CancelLetsMakeDeleteTheTargetItWasMaking(bool sigintIgnored)
    {
        using var tree = new TempTree();
        var makefile = tree.Write("Makefile", "half.o:\n\techo half > $@; echo started; sleep 60; echo whole > $@\n");
        using var cancel = new CancellationTokenSource();
        var tools = new ToolProcess { Cancel = cancel.Token, OnLine = (line, _) => { if (line == "started") cancel.Cancel(); } };
        var started = DateTime.UtcNow;
        // An ignored signal stays ignored across exec: make starts as a background job's would.
        string[] make = sigintIgnored ? ["sh", "-c", "trap '' INT; exec make \"$@\"", "sh", "-f", makefile, "half.o"] : ["make", "-f", makefile, "half.o"];
        Assert.ThrowsExactly<OperationCanceledException>(() => tools.Run(make[0], make[1..], tree.Root));
        Assert.IsTrue(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the cancel did not stop make");
        Assert.IsFalse(File.Exists(tree.PathOf("half.o")), "make did not delete the target it was making");
    }

    [TestMethod]
    [DataRow("make", "'make'")]
    [DataRow("ld.lld-99", "'lld'")]
    [DataRow("x86_64-linux-gnu-gcc", "gcc-x86_64-linux-gnu")]
    public void ToolProcess_AToolThatCannotStart_IsKB0522NamingThePackage(string tool, string package)
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-dir", tool);
        var e = Assert.ThrowsExactly<KbuildException>(() => ToolProcess.Quiet.Run(path, []));
        Assert.AreEqual(ErrorCodes.ToolCannotStart, e.Code);
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, package);
    }

    [TestMethod]
    [DataRow("drivers/foo.c:12:5: error: 'x' undeclared", "drivers/foo.c", 12, 5, true, "'x' undeclared")]
    [DataRow("init/main.c:7: warning: unused variable", "init/main.c", 7, 0, false, "unused variable")]
    [DataRow("/src/a b.c:3:1: fatal error: x.h: No such file", "/src/a b.c", 3, 1, true, "x.h: No such file")]
    public void ToolDiagnostic_ReadsGnuStyleLines(string line, string file, int lineNumber, int column, bool isError, string message) =>
        Assert.AreEqual(new ToolDiagnostic(file, lineNumber, column, isError, message), ToolDiagnostic.TryParse(line));

    [TestMethod]
    [DataRow("  CC      init/main.o")]
    [DataRow("make[2]: *** [scripts/Makefile.build:243: init/main.o] Error 1")]
    [DataRow("In file included from init/main.c:3:")]
    [DataRow("init/main.c:3:5: note: declared here")]
    public void ToolDiagnostic_LeavesOtherLinesAlone(string line) => Assert.IsNull(ToolDiagnostic.TryParse(line));
}
