using Kbuild.Inputs;
using Kbuild.Symbols;
using Kbuild.Diagnostics;
using static Kbuild.Tests.LinkTestFiles;

namespace Kbuild.Tests.Inputs;

/// <summary>The linker script as the prediction reads it (the names it assigns, NOLOAD, /DISCARD/), against what the real linkers do.</summary>
[TestClass]
public sealed class LinkerScriptLayoutTests
{
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
}
