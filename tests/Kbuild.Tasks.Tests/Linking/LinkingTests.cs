using Kbuild.Kernel;
using Kbuild.Image;
using Kbuild.Inputs;
using Kbuild.Symbols;
using Kbuild.Table;
using Kbuild.IO;
using Kbuild.Diagnostics;

namespace Kbuild.Tests.Linking;

[TestClass]
public sealed class LinkingTests
{
    private static string NewDir(string name) => TestTemp.Directory($"kbuild-link-{name}-");

    private static void Compile(string dir, string file, string source, string flags = "")
    {
        File.WriteAllText(Path.Combine(dir, file), source);
        Tool.RunChecked("gcc", [.. flags.Split(' ', StringSplitOptions.RemoveEmptyEntries), "-O2", "-ffreestanding", "-fno-pie",
            "-fno-asynchronous-unwind-tables", "-c", "-o", Path.ChangeExtension(file, ".o"), file], dir);
    }

    private static HashSet<string> NmNames(string file, string dir) =>
        Tool.RunChecked("nm", [file], dir).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).Where(p => p.Length == 3 && p[1] is not ("U" or "w")).Select(p => p[2]).ToHashSet();

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
            Flags = LinkerCommand.SplitFlags("-m elf_x86_64 -z noexecstack"),
            VmlinuxFlags = LinkerCommand.SplitFlags("--build-id=sha1"),
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
    public void SplitFlags_ReadsQuotesAndEscapesLikeTheShell()
    {
        var flags = "-m elf_x86_64  --defsym='a b=1' \"-Map=x y.map\" c\\ d";
        var shell = Tool.RunChecked("bash", ["-c", $"printf '%s\\n' {flags}"]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        CollectionAssert.AreEqual(shell, LinkerCommand.SplitFlags(flags).ToArray());
    }

    [TestMethod]
    public void AtomicOutput_AFailedWriterLeavesThePreviousFileAndNoTemporary()
    {
        var dir = NewDir("atomic");
        var path = Path.Combine(dir, "vmlinux");
        File.WriteAllText(path, "previous");

        var e = Assert.ThrowsExactly<KbuildException>(() => AtomicOutput.Write(path, temp =>
        {
            File.WriteAllText(temp, "half");
            throw new IOException("interrupted");
        }));
        Assert.AreEqual(ErrorCodes.OutputUnwritable, e.Code);
        Assert.AreEqual(path, e.File);

        Assert.AreEqual("previous", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(dir));
        Directory.Delete(dir, true);
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

    [TestMethod]
    public void ScriptNames_AreExactlyWhatTheLinkerDefines()
    {
        var dir = NewDir("names");
        // Everything the script may PROVIDE is referenced, so the linker defines every name the script assigns.
        Compile(dir, "a.c", """
            extern char provided[], provided_hidden[], hidden_sym[], "quoted"[];
            void *refs[] = { provided, provided_hidden, hidden_sym };
            int data_value = 1;
            void _start(void) {}
            """.Replace(", \"quoted\"[]", ""));
        File.WriteAllText(Path.Combine(dir, "s.lds"), """
            /* not_a_symbol = 1; inside a comment */
            PHDRS { text PT_LOAD; data PT_LOAD; }
            SECTIONS
            {
                . = 0x400000;
                _text = .;
                .text : { *(.text .text.*) } :text = 0x90909090
                . = ALIGN(0x1000);
                counter = 4;
                counter += 4;
                PROVIDE(provided = .);
                PROVIDE_HIDDEN(provided_hidden = .);
                HIDDEN(hidden_sym = .);
                .data : { _sdata = .; *(.data) _edata = .; } :data
                alias = data_value;
                "quoted.name" = .;
                /DISCARD/ : { *(.comment) *(.note.GNU-stack) *(.eh_frame) }
            }
            """);
        Tool.RunChecked("ld.bfd", ["-T", "s.lds", "-o", "x", "a.o"], dir);
        var fromScript = NmNames("x", dir);
        fromScript.ExceptWith(NmNames("a.o", dir));

        var parsed = ScriptNames(Path.Combine(dir, "s.lds"));

        CollectionAssert.AreEquivalent(fromScript.ToList(), parsed.ToList());
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void ScriptNames_OfTheRealKernelScript_CoverEverySystemMapSymbolNoObjectDefines()
    {
        var build = KernelFixtures.BuildDir("6.1", "A");
        var fromObjects = NmNames(Path.Combine(build, "vmlinux.o"), build);
        fromObjects.UnionWith(NmNames(Path.Combine(build, "init", "version-timestamp.o"), build));
        var parsed = ScriptNames(Path.Combine(build, "arch", "x86", "kernel", "vmlinux.lds")).ToHashSet();

        var missing = File.ReadLines(Path.Combine(build, "System.map")).Select(l => l.Split(' ')[2])
            .Where(n => !fromObjects.Contains(n) && !n.StartsWith("kallsyms_", StringComparison.Ordinal) && !parsed.Contains(n))
            .ToList();

        CollectionAssert.AreEqual(new List<string>(), missing);
        Assert.IsFalse(parsed.Contains("."));
    }

    /// <summary>The names the script assigns, as the prediction reads them.</summary>
    private static IReadOnlyList<string> ScriptNames(string script) =>
        LinkerScriptLayout.Read(script).Assignments.Select(a => a.Name).Distinct().ToList();

    [TestMethod]
    public void NoLoad_IsTheSectionsTypeOnly()
    {
        var layout = LinkerScriptLayout.Parse("""
            SECTIONS
            {
                .bss 0x1000 (NOLOAD) : { *(.bss) }
                .data : AT(ADDR(.data) - NOLOAD_BASE) { *(.data) }
                .init (READONLY) : { *(.init) }
            }
            """);
        CollectionAssert.AreEqual(new[] { true, false, false }, layout.Sections.Select(s => s.NoLoad).ToArray());
    }

    [TestMethod]
    public void MissingScript_IsAKbuildError()
    {
        var e = Assert.ThrowsExactly<KbuildException>(() => LinkerScriptLayout.Read("/nonexistent/vmlinux.lds"));
        Assert.AreEqual(ErrorCodes.LinkerScriptUnreadable, e.Code);
    }

    /// <summary>
    /// ld itself decides: the symbols the prediction keeps of an object are exactly those in its output, and the
    /// cases we must not call discarded (an earlier rule matches first; a rule for some files only; an
    /// orphan) are left alone.
    /// </summary>
    [TestMethod]
    [DataRow("ld.bfd")]
    [DataRow("ld.lld-16")]
    public void Discards_LeaveOutOnlySectionsTheRealLinkerDiscards(string linker)
    {
        var dir = NewDir("discard");
        Compile(dir, "a.c", """
            int in_data = 1;
            __attribute__((section(".discard.one"))) int in_discard = 2;
            __attribute__((section(".exitcall.exit"))) int in_exitcall = 3;
            __attribute__((section(".first_kept"))) int first_kept = 4;
            __attribute__((section(".by_file"))) int by_file = 5;
            __attribute__((section(".excluded"))) int excluded = 6;
            __attribute__((section(".orphan"))) int orphan = 7;
            void _start(void) { for (;;); }
            """);
        File.WriteAllText(Path.Combine(dir, "s.lds"), """
            SECTIONS {
              .text : { *(.text) }
              .data : AT(ADDR(.data)) { *(.data) . = ALIGN(8); KEEP(*(SORT(.first_kept))) }
              .other : { *nothere.o(.by_file) }
              /* the whole rule set of the kernel's DISCARDS, plus cases that must stay */
              /DISCARD/ : { *(.discard) *(.discard.*) *(.exitcall.exit) *(.first_*) *(.by_file) *(EXCLUDE_FILE(*nothere.o) .excluded) }
            }
            """);
        Tool.RunChecked(linker, ["-T", "s.lds", "-o", "x", "a.o"], dir);
        var linked = NmNames("x", dir);
        var objectA = Path.Combine(dir, "a.o");
        var all = NmNames("a.o", dir);
        var (predicted, _) = LinkPrediction.Predict([objectA], [], LinkerScriptLayout.Read(Path.Combine(dir, "s.lds")), [], []);
        var kept = predicted.Select(s => s.Name).Where(all.Contains).ToHashSet();

        // The real linker decides: of a.o's symbols, exactly those it kept are predicted.
        CollectionAssert.AreEquivalent(all.Where(linked.Contains).ToList(), kept.ToList(), string.Join(' ', linked));
        Assert.IsFalse(kept.Overlaps(["in_discard", "in_exitcall"]), string.Join(' ', kept));
        Assert.IsTrue(kept.IsSupersetOf(["in_data", "first_kept", "orphan"]), string.Join(' ', kept));
        Directory.Delete(dir, true);
    }

    /// <summary>
    /// ld.lld's rules in a -shared -Bsymbolic link (arm64's kind), checked against ld.lld-16 itself: a hidden reference
    /// makes a definition and a PROVIDE'd name local; an empty .rela.dyn (no dynamic relocation) that holds a symbol is lld's SHT_RELA section
    /// (read-only data), also for a name assigned after it; ABSOLUTE(…) is absolute; an ASSERT without ';' between
    /// sections hides no assignment.
    /// </summary>
    [TestMethod]
    public void Prediction_OfAnLldSharedLink_IsTheLinkersNm()
    {
        var dir = NewDir("lld-shared");
        File.WriteAllText(Path.Combine(dir, "a.c"), "int counter = 1; int plain = 2;\n");
        File.WriteAllText(Path.Combine(dir, "b.c"), """
            #define HIDDEN __attribute__((visibility("hidden")))
            HIDDEN extern int counter; HIDDEN extern char alias_of_text[], rela_start[];
            int *p(void) { return &counter; } char *q(void) { return alias_of_text; } char *r(void) { return rela_start; }
            """);
        foreach (var c in new[] { "a.c", "b.c" })
            Tool.RunChecked("gcc", ["-O2", "-fPIC", "-fno-asynchronous-unwind-tables", "-c", "-o", Path.ChangeExtension(c, ".o"), c], dir);
        File.WriteAllText(Path.Combine(dir, "s.lds"), """
            SECTIONS {
              .text : { text_start = .; *(.text) }
              .data : { *(.data .data.*) *(.bss) }
              ASSERT(SIZEOF(.data) > 0, "no data")
              after_data = .;
              .rela.dyn : { rela_start = .; *(.rela.dyn) }
              after_rela = .;
              size = ABSOLUTE(. - text_start);
              /DISCARD/ : { *(.dynamic .dynsym .dynstr .hash .gnu.hash) }
            }
            PROVIDE(alias_of_text = text_start);
            """);
        string[] flags = ["-shared", "-Bsymbolic"];
        Tool.RunChecked("ld.lld-16", [.. flags, "-T", "s.lds", "-o", "x", "a.o", "b.o"], dir);
        var linked = Tool.RunChecked("nm", ["x"], dir).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' '))
            .Where(w => w.Length == 3).ToDictionary(w => w[2], w => w[1][0]);
        var (predicted, _) = LinkPrediction.Predict([Path.Combine(dir, "a.o"), Path.Combine(dir, "b.o")], [],
            LinkerScriptLayout.Read(Path.Combine(dir, "s.lds")), [], [], linkerIsLld: true, linkerFlags: flags);
        var names = new[] { "counter", "plain", "p", "q", "r", "text_start", "alias_of_text", "after_data", "rela_start", "after_rela", "size" };
        var ours = names.Select(n => $"{(predicted.Any(s => s.Name == n) ? predicted.First(s => s.Name == n).Type : ' ')} {n}").ToList();
        CollectionAssert.AreEqual(names.Select(n => $"{(linked.TryGetValue(n, out var t) ? t : ' ')} {n}").ToList(), ours, string.Join(", ", ours));
        Assert.AreEqual("d counter", ours[0], "the hidden reference makes counter local");
        Directory.Delete(dir, true);
    }

    /// <summary>
    /// GNU ld's rules in a dynamic link (aarch64-linux-gnu-ld, on clang-16 aarch64 objects), checked against the linker
    /// itself for arm64's -shared -Bsymbolic link and a -pie one: a hidden definition or reference makes a name local in
    /// the -shared link only; the sections GNU ld makes itself (.got, .got.plt, .rela.dyn) take the names dot puts in or
    /// next to them; a copy of a name set from dot between sections is absolute, of one set in a section relative; a dot
    /// move before a section ld drops (the empty .data.rel.ro) still moves a name past the section before. (A static
    /// aarch64 link is not modelled: there GNU ld's empty .rela.iplt gives a dropped .rela.dyn its flags.)
    /// </summary>
    [TestMethod]
    [DataRow("-shared -Bsymbolic")]
    [DataRow("-pie")]
    public void Prediction_OfAGnuLdArm64Link_IsTheLinkersNm(string mode)
    {
        var dir = NewDir("gnu-ld-arm64");
        File.WriteAllText(Path.Combine(dir, "a.c"), """
            #define HIDDEN __attribute__((visibility("hidden")))
            int counter = 1; int plain = 2; HIDDEN int hidden_def = 3; const char banner[] = "gnu ld";
            int *pointers[] = { &counter, &plain };  /* dynamic relocations in a -shared or -pie link */
            """);
        File.WriteAllText(Path.Combine(dir, "b.c"), """
            #define HIDDEN __attribute__((visibility("hidden")))
            HIDDEN extern int counter; HIDDEN extern char alias_of_text[], alias_of_text_end[], rela_start[];
            extern char alias_of_end[];
            void *refs[] = { &counter, alias_of_text, alias_of_text_end, rela_start, alias_of_end };
            void _start(void) { }
            """);
        foreach (var c in new[] { "a.c", "b.c" })
            Tool.RunChecked("clang-16", ["--target=aarch64-linux-gnu", "-O2", "-fno-PIE", "-fno-asynchronous-unwind-tables", "-c", "-o", Path.ChangeExtension(c, ".o"), c], dir);
        File.WriteAllText(Path.Combine(dir, "s.lds"), """
            SECTIONS {
              /DISCARD/ : { *(.interp .dynamic .dynsym .dynstr .hash .gnu.hash) }
              . = 0x10000;
              .text : { text_start = .; *(.text .text.*) }
              text_end = .;
              .rodata : { *(.rodata .rodata.*) }
              . = ALIGN(0x1000);
              rodata_end = .;
              .got : { *(.got) }
              .got.plt : { *(.got.plt) }
              .rela.dyn : ALIGN(8) { rela_start = .; *(.rela .rela*) rela_end = .; }
              .relr.dyn : ALIGN(8) { relr_start = .; *(.relr.dyn) }
              . = ALIGN(0x10000);
              .data.rel.ro : { *(.data.rel.ro) }
              data_start = .;
              . = ALIGN(0x1000);
              .data : { *(.data .data.*) }
              .bss : { *(.bss .bss.*) *(COMMON) }
              end = .;
            }
            PROVIDE(alias_of_text = text_start);
            PROVIDE(alias_of_text_end = text_end);
            PROVIDE(alias_of_end = end);
            """);
        string[] flags = ["-maarch64elf", "-z", "notext", "--no-warn-rwx-segments", .. mode.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        Tool.RunChecked("aarch64-linux-gnu-ld", [.. flags, "-T", "s.lds", "-o", "x", "a.o", "b.o"], dir);
        var linked = Tool.RunChecked("aarch64-linux-gnu-nm", ["x"], dir).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' '))
            .Where(w => w.Length == 3).ToDictionary(w => w[2], w => w[1][0]);
        var (predicted, _) = LinkPrediction.Predict([Path.Combine(dir, "a.o"), Path.Combine(dir, "b.o")], [],
            LinkerScriptLayout.Read(Path.Combine(dir, "s.lds")), [], [], linkerFlags: flags);
        var names = new[] { "counter", "plain", "hidden_def", "banner", "_start", "text_start", "text_end", "alias_of_text", "alias_of_text_end",
            "rodata_end", "rela_start", "rela_end", "relr_start", "data_start", "end", "alias_of_end" };
        var ours = names.Select(n => $"{(predicted.Any(s => s.Name == n) ? predicted.First(s => s.Name == n).Type : ' ')} {n}").ToList();
        CollectionAssert.AreEqual(names.Select(n => $"{(linked.TryGetValue(n, out var t) ? t : ' ')} {n}").ToList(), ours, string.Join(", ", ours));
        Assert.AreEqual(mode == "-pie" ? "D counter" : "d counter", ours[0], "only -shared makes the hidden reference local");
        Directory.Delete(dir, true);
    }

    /// <summary>
    /// A name set inside a section to another name (7.x ftrace's ftrace_ops_list_func = arch_ftrace_ops_list_func, in
    /// .init.data) is that name, section and value, as GNU ld links it; a name set to dot there is the section's.
    /// </summary>
    [TestMethod]
    public void Prediction_OfACopyAssignedInASection_IsTheCopiedName()
    {
        var dir = NewDir("copy-in-section");
        File.WriteAllText(Path.Combine(dir, "a.c"), "void target(void) { } int data = 1;\n");
        Tool.RunChecked("gcc", ["-O2", "-fno-asynchronous-unwind-tables", "-c", "-o", "a.o", "a.c"], dir);
        File.WriteAllText(Path.Combine(dir, "s.lds"), """
            SECTIONS {
              .text : { _stext = .; *(.text) _etext = .; }
              .data : { *(.data) copy = target; here = .; }
            }
            """);
        Tool.RunChecked("ld", ["-T", "s.lds", "-o", "x", "a.o"], dir);
        var linked = Tool.RunChecked("nm", ["x"], dir).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' '))
            .ToDictionary(w => w[2], w => (w[1][0], Convert.ToUInt64(w[0], 16)));
        var (predicted, _) = LinkPrediction.Predict([Path.Combine(dir, "a.o")], [], LinkerScriptLayout.Read(Path.Combine(dir, "s.lds")), [], []);
        var target = predicted.Single(s => s.Name == "target");
        Assert.AreEqual(('T', linked["target"].Item2), (linked["copy"].Item1, linked["copy"].Item2), "ld: the copy is the target");
        Assert.AreEqual((target.Type, target.Address), (predicted.Single(s => s.Name == "copy").Type, predicted.Single(s => s.Name == "copy").Address));
        Assert.AreEqual(linked["here"].Item1, predicted.Single(s => s.Name == "here").Type);
        Directory.Delete(dir, true);
    }

    /// <summary>
    /// On the real kernels, from the inputs the SDK links (vmlinux.a whole, the libraries as a group, the export and
    /// version objects, the script): the predicted System.map names with their type letters are exactly make's.
    /// </summary>
    [TestMethod]
    [DataRow("6.1", "A")]
    [DataRow("6.12", "A")]
    [DataRow("6.1", "B")]
    [DataRow("6.12", "B")]
    [DataRow("6.1", "debug")]
    [DataRow("7.3", "A")]
    [DataRow("7.3", "P")]
    public void Prediction_OfTheRealKernelLink_IsMakesSystemMap(string version, string config)
    {
        var build = KernelFixtures.BuildDir(version, config);
        var objects = new[] { "vmlinux.a", ".vmlinux.export.o", "init/version-timestamp.o" }
            .Select(f => Path.Combine(build, f)).Where(File.Exists).ToList();
        var libraries = new[] { "lib/lib.a", "arch/x86/lib/lib.a" }.Select(f => Path.Combine(build, f)).Where(File.Exists).ToList();
        var config_ = File.ReadAllText(Path.Combine(build, ".config"));
        var options = new KallsymsOptions
        {
            AllSymbols = config_.Contains("CONFIG_KALLSYMS_ALL=y"), AbsolutePercpu = config_.Contains("CONFIG_KALLSYMS_ABSOLUTE_PERCPU=y"),
            BaseRelative = true, PcRelative = true,
        };
        AssertPredictsMap(objects, libraries, Path.Combine(build, "arch", "x86", "kernel", "vmlinux.lds"),
            Path.Combine(build, "System.map"), version, options);
    }

    /// <summary>
    /// On demand, for eng/randconfig-soak.sh: a soak kernel's build dir (<c>SOAK_BUILD</c>) and the settings the SDK's probe
    /// captured for it (<c>SOAK_VALUES</c>, its obj/kernel-tree.values): the prediction from exactly the inputs, script and
    /// flags the SDK linked, against make's System.map — the message names every symbol it got wrong. Inconclusive without them.
    /// </summary>
    [TestMethod]
    [TestCategory("Soak")]
    public void Prediction_OfASoakKernel_IsMakesSystemMap()
    {
        var (build, values) = (System.Environment.GetEnvironmentVariable("SOAK_BUILD"), System.Environment.GetEnvironmentVariable("SOAK_VALUES"));
        if (string.IsNullOrEmpty(build) || string.IsNullOrEmpty(values))
            Assert.Inconclusive("run by eng/randconfig-soak.sh for a failing seed (SOAK_BUILD, SOAK_VALUES)");
        var kbuild = Kbuild.KernelTree.KbuildProbe.Load(build, values);
        AssertPredictsMap(kbuild.WholeArchiveInputs.Where(File.Exists).ToList(), kbuild.Libraries, kbuild.LinkerScript,
            Path.Combine(build, "System.map"), kbuild.Series.Name, kbuild.KallsymsSwitches,
            linkerIsLld: Path.GetFileName(kbuild.Linker).StartsWith("ld.lld", StringComparison.Ordinal), linkerFlags: kbuild.LinkerFlags);
    }

    /// <summary>
    /// The Clang ThinLTO kernels (L, ld.lld-16): the final link takes the native vmlinux.o and the bitcode
    /// .vmlinux.export.o and init/version-timestamp.o, predicted through their stand-ins (<c>$(LD) $(KBUILD_LDFLAGS) -r</c>,
    /// the flags read from the command make saved in .vmlinux.cmd).
    /// </summary>
    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void Prediction_OfTheThinLtoKernelLink_IsMakesSystemMap(string version)
    {
        var build = KernelFixtures.BuildDir(version, "L");
        var bitcode = new[] { ".vmlinux.export.o", "init/version-timestamp.o" }.Select(f => Path.Combine(build, f)).ToList();
        Assert.IsTrue(bitcode.All(BitcodeStandIns.IsBitcodeFile), "the LTO kernel's export and version objects are bitcode");
        // cmd_vmlinux := .../link-vmlinux.sh "ld.lld-16" "$(KBUILD_LDFLAGS)" "$(LDFLAGS_vmlinux)"; ...
        var saved = File.ReadLines(Path.Combine(build, ".vmlinux.cmd")).First().Split('"');
        var dir = NewDir("lto");
        try
        {
            var objects = BitcodeStandIns.Substitute([Path.Combine(build, "vmlinux.o"), .. bitcode], saved[1], saved[3], dir);
            AssertPredictsMap(objects, [], Path.Combine(build, "arch", "x86", "kernel", "vmlinux.lds"), Path.Combine(build, "System.map"),
                version, FixtureKernel.KallsymsOptions(build) with { LtoClang = version == "6.1" }, linkerIsLld: true);  // 6.12 has no --lto-clang
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The arm64 kernel (arm64: ld.lld-16; arm64gcc: aarch64-linux-gnu-ld): a -shared -Bsymbolic link of vmlinux.a whole
    /// (with CONFIG_MODULES its lib.a archives are inside it, none in --start-group), .vmlinux.export.o and
    /// init/version-timestamp.o, as link-vmlinux.sh links it, with the flags make saved in .vmlinux.cmd.
    /// </summary>
    [TestMethod]
    [DataRow("6.1", "arm64")]
    [DataRow("6.12", "arm64")]
    [DataRow("6.12", "arm64gcc")]
    public void Prediction_OfTheArm64KernelLink_IsMakesSystemMap(string version, string config)
    {
        var build = KernelFixtures.BuildDir(version, config);
        var objects = new[] { "vmlinux.a", ".vmlinux.export.o", "init/version-timestamp.o" }.Select(f => Path.Combine(build, f)).ToList();
        AssertPredictsMap(objects, [], Path.Combine(build, "arch", "arm64", "kernel", "vmlinux.lds"), Path.Combine(build, "System.map"),
            version, FixtureKernel.KallsymsOptions(build), linkerIsLld: config == "arm64", linkerFlags: LinkFlags(build));
    }

    /// <summary>$(KBUILD_LDFLAGS) $(LDFLAGS_vmlinux) of the command make saved in .vmlinux.cmd, as words.</summary>
    private static string[] LinkFlags(string build)
    {
        // cmd_vmlinux := .../link-vmlinux.sh "ld.lld-16" "$(KBUILD_LDFLAGS)" "$(LDFLAGS_vmlinux)"; ...
        var saved = File.ReadLines(Path.Combine(build, ".vmlinux.cmd")).First().Split('"');
        return $"{saved[3]} {saved[5]}".Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    internal static void AssertPredictsMap(IReadOnlyList<string> objects, IReadOnlyList<string> libraries, string script,
        string systemMap, string version, KallsymsOptions options, bool linkerIsLld = false, IReadOnlyList<string>? linkerFlags = null)
    {
        var labels = KallsymsGenerator.ArraySymbolNames(KernelSeries.For(version).Kallsyms, new KallsymsOptions { BaseRelative = true })
            .Select(n => (n, ".rodata"));
        var (predicted, elfClass) = LinkPrediction.Predict(objects, libraries, LinkerScriptLayout.Read(script), labels, ["_text"], linkerIsLld, linkerFlags);
        var filter = SysmapFilter.ForKernel(version);
        var digits = NmFormat.AddressDigits(elfClass);
        var ours = predicted.Where(s => filter.Keeps(NmFormat.Line(s, digits))).Select(s => $"{s.Type} {s.Name}").Order(StringComparer.Ordinal).ToList();
        // The prediction models the image's allocated sections; a symbol of a non-allocated one (nm's n: 6.1 arm64's
        // objcopy-prefixed __pi_$d mapping symbols in .comment) is in System.map but never in the table (scripts/kallsyms
        // ignores type n), so it is not predicted.
        var makes = File.ReadLines(systemMap).Select(l => l[(l.IndexOf(' ') + 1)..]).Where(l => !l.StartsWith("n ", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        var extra = ours.Except(makes).ToList();
        var missing = makes.Except(ours).ToList();
        Assert.IsTrue(extra.Count == 0 && missing.Count == 0 && ours.Count == makes.Count,
            $"predicted {ours.Count} symbols, make's System.map has {makes.Count}; predicted only: {extra.Count} " +
            $"({string.Join(", ", extra.Take(40))}); make's only: {missing.Count} ({string.Join(", ", missing.Take(40))}); " +
            "ours for those: " + string.Join(", ", missing.Take(40).Select(m => m[2..]).Select(n => predicted.Where(p => p.Name == n).Select(p => $"{p.Type} {n}").FirstOrDefault() ?? $"none {n}")));

        // The table of the prediction (placeholder addresses) has exactly the real table's symbols, so every array its size.
        var layout = KernelSeries.For(version).Kallsyms;
        var reservation = Reservation.Create(predicted.Where(s => filter.Keeps(NmFormat.Line(s, digits))).ToList(), layout, options,
            KallsymsTarget.X86_64, ReservationSlack.None);
        var real = KallsymsGenerator.Generate(SystemMap.Read(systemMap), layout, options, KallsymsTarget.X86_64);
        var predictedTable = reservation.Table.Symbols.Select(s => $"{s.Type} {s.Name}").Order(StringComparer.Ordinal).ToList();
        var realTable = real.Symbols.Select(s => $"{s.Type} {s.Name}").Order(StringComparer.Ordinal).ToList();
        var tableExtra = predictedTable.Except(realTable).ToList();
        var tableMissing = realTable.Except(predictedTable).ToList();
        Assert.IsTrue(tableExtra.Count == 0 && tableMissing.Count == 0 && predictedTable.Count == realTable.Count,
            $"predicted table {predictedTable.Count} symbols, real {realTable.Count}; predicted only: {string.Join(", ", tableExtra.Take(20))}; " +
            $"real only: {string.Join(", ", tableMissing.Take(20))}");
        foreach (var array in real.Arrays)
            Assert.AreEqual(array.Size, reservation.Table.Find(array.SymbolName)!.Size, array.SymbolName);
    }
}
