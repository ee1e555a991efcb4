using Kbuild.Kernel;
using Kbuild.Image;
using Kbuild.Diagnostics;
using static Kbuild.Tests.LinkTestFiles;

namespace Kbuild.Tests.Image;

/// <summary>The link against the real linkers: the response file, and what ld and ld.lld print parsed into diagnostics.</summary>
[TestClass]
public sealed class VmlinuxLinkerTests
{
    [TestMethod]
    [DataRow("ld.bfd")]
    [DataRow("ld.lld-16")]
    public void ResponseFile_LinksPathsWithSpacesAndQuotes_WholeArchivesAndGroupedLibraries(string linker)
    {
        var root = NewDir("rsp");
        var dir = Path.Combine(root, "a dir with 'quotes' and \"double\"");
        Directory.CreateDirectory(dir);
        Compile(dir, "start.c", "int lib_used(void); void _start(void) { lib_used(); for (;;); }");
        Compile(dir, "whole.c", "int only_in_whole_archive(void) { return 1; }");
        Compile(dir, "used.c", "int lib_used(void) { return 2; }");
        Compile(dir, "unused.c", "int lib_unused(void) { return 3; }");
        Tool.RunChecked("ar", ["rcs", "whole.a", "whole.o"], dir);
        Tool.RunChecked("ar", ["rcs", "lib.a", "used.o", "unused.o"], dir);
        File.WriteAllText(Path.Combine(dir, "s.lds"), "SECTIONS { .text : { *(.text .text.*) } /DISCARD/ : { *(.comment) } }");
        var command = new LinkerCommand
        {
            Output = Path.Combine(dir, "out elf"),
            LinkerScript = Path.Combine(dir, "s.lds"),
            Objects = [Path.Combine(dir, "start.o"), Path.Combine(dir, "whole.a")],
            Libraries = [Path.Combine(dir, "lib.a")],
            Flags = ShellWords.CommandLine("-m elf_x86_64 -z noexecstack"),
            VmlinuxFlags = ShellWords.CommandLine("--build-id=sha1"),
        };
        var rsp = Path.Combine(dir, "link.rsp");
        File.WriteAllText(rsp, command.ToResponseFile());

        Tool.RunChecked(linker, ["@" + rsp]);

        var names = NmNames(command.Output, dir);
        Assert.IsTrue(names.IsSupersetOf(["_start", "only_in_whole_archive", "lib_used"]), string.Join(' ', names));
        Assert.IsFalse(names.Contains("lib_unused"), "a grouped library member nothing uses was linked");
        Directory.Delete(root, true);
    }

    [TestMethod]
    [DataRow("ld.bfd", "")]
    [DataRow("ld.bfd", "-g")]
    [DataRow("ld.lld-16", "")]
    [DataRow("ld.lld-16", "-g")]
    public void UndefinedReference_FromTheRealLinker_IsAnErrorWithTheFile(string linker, string cflags)
    {
        var dir = NewDir("undef");
        Compile(dir, "bad.c", "void missing_function(void);\nvoid caller(void) { missing_function(); }\n", cflags);
        var result = Tool.Run(linker, ["-e", "caller", "-o", "x", "bad.o"], dir);
        Assert.AreNotEqual(0, result.ExitCode);

        var diagnostics = Parse(result.StdErr);

        var error = diagnostics.Single(d => d.Severity == LinkerSeverity.Error);
        StringAssert.Contains(error.Message, "missing_function");
        StringAssert.StartsWith(Path.GetFileName(error.File!), "bad.");
        if (cflags == "-g") Assert.AreEqual(2, error.Line, "debug info gives the source line");
        Directory.Delete(dir, true);
    }

    [TestMethod]
    [DataRow("ld.bfd")]
    [DataRow("ld.lld-16")]
    public void LinkerScriptSyntaxError_IsAnErrorAtTheScriptLine(string linker)
    {
        var dir = NewDir("lds");
        Compile(dir, "a.c", "void f(void) {}");
        File.WriteAllText(Path.Combine(dir, "bad.lds"), "SECTIONS {\n .text : { *(.text) }\n oops\n}\n");
        var result = Tool.Run(linker, ["-T", "bad.lds", "-o", "x", "a.o"], dir);
        Assert.AreNotEqual(0, result.ExitCode);

        var error = Parse(result.StdErr).First(d => d.Severity == LinkerSeverity.Error);

        Assert.AreEqual("bad.lds", error.File);
        Assert.AreEqual(4, error.Line, "both linkers stop at the '}' after 'oops' (ld.bfd: syntax error, ld.lld: unexpected EOF)");
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void WrongArchitectureInput_FromGnuLd_NamesTheObject()
    {
        var dir = NewDir("arch");
        Compile(dir, "a.c", "void _start(void) {}");
        Compile(dir, "b.c", "int b(void) { return 0; }", "-m32");
        var result = Tool.Run("ld.bfd", ["-o", "x", "a.o", "b.o"], dir);

        var error = Parse(result.StdErr).First(d => d.Severity == LinkerSeverity.Error);

        Assert.AreEqual("b.o", error.File);
        StringAssert.Contains(error.Message, "incompatible");
        Directory.Delete(dir, true);
    }

    private static List<LinkerDiagnostic> Parse(string output)
    {
        var parser = new LinkerOutputParser();
        var diagnostics = output.Split('\n').SelectMany(parser.Feed).ToList();
        diagnostics.AddRange(parser.Flush());
        return diagnostics;
    }
}
