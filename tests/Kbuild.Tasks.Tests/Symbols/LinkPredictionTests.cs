using Kbuild.Kernel;
using Kbuild.Inputs;
using Kbuild.Symbols;
using Kbuild.Table;
using static Kbuild.Tests.LinkTestFiles;

namespace Kbuild.Tests.Symbols;

[TestClass]
public sealed class LinkPredictionTests
{
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
    /// The text-range rule's boundary cases (scripts/kallsyms without --all-symbols), linked by the real linker and read by
    /// the kernel's own scripts/kallsyms: a name set before the text's start with nothing between (kept); __init_begin in
    /// an empty section between two page ALIGNs, at _sinittext's address as on x86 uniprocessor kernels (kept); a name
    /// before an ALIGN that bytes already reached exactly, and an input's label at the very end of .init.text, at _etext's
    /// and _einittext's addresses (dropped); a name an ALIGN does move away from a page start, and a name in a page
    /// aligned section that is not the next one (kept out); a copy of a text name set inside a data section (7.x x86's
    /// ftrace_ops_list_func: a T symbol, kept). The predicted table has exactly the linked image's symbols and letters.
    /// </summary>
    [TestMethod]
    [DataRow("ld.bfd", "6.12")]
    [DataRow("ld.bfd", "6.1")]
    [DataRow("ld.lld-16", "6.12")]
    public void Prediction_OfTheTextRangeBoundaries_IsTheKernelToolsTable(string linker, string version)
    {
        var dir = NewDir("text-ranges");
        File.WriteAllText(Path.Combine(dir, "a.S"), """
                .section .text, "ax"
                .globl startup
            startup: .fill 0xff0, 1, 0x90           /* with exit below: exactly a page of text */
                .globl exit_to_user
            exit_to_user: .fill 0x10, 1, 0x90
                .section .rodata, "a"
                .globl banner
            banner: .asciz "text ranges"
                .data
                .globl counter
            counter: .quad 1
                .section .init.text, "ax"
                .globl init_main
            init_main: .fill 0x21, 1, 0x90
                .globl init_tail
            init_tail:                               /* the end of .init.text: _einittext's address */
                .section .init.data, "aw"
                .globl init_table
            init_table: .quad 2
            """);
        Tool.RunChecked("gcc", ["-c", "-o", "a.o", "a.S"], dir);
        File.WriteAllText(Path.Combine(dir, "s.lds"), """
            SECTIONS {
              . = 0x1000000;
              head_start = .;
              .text : { _text = .; _stext = .; *(.text) . = ALIGN(16); __text_end = .; . = ALIGN(0x1000); *(.gnu.warning) }
              _etext = .;
              . = ALIGN(0x1000);
              .rodata : { *(.rodata) }
              .data : { _sdata = .; *(.data) . = ALIGN(16); _edata = .; }
              . = ALIGN(0x1000);
              .init.begin : { __init_begin = .; }
              . = ALIGN(0x1000);
              .init.text : { _sinittext = .; *(.init.text) _einittext = .; }
              . = ALIGN(16);
              __init_data_begin = .;
              .init.data : { *(.init.data) init_alias = init_main; }
              /DISCARD/ : { *(.note.GNU-stack) }
            }
            """);
        Tool.RunChecked(linker, ["-T", "s.lds", "-o", "x", "a.o"], dir);
        File.WriteAllText(Path.Combine(dir, "System.map"), Tool.RunChecked("nm", ["-n", "x"], dir));
        var options = new KallsymsOptions { BaseRelative = true };
        var real = Table.KallsymsParityTests.AssertSameAsKernel(version, Path.Combine(dir, "System.map"), options, dir);

        var layout = KernelSeries.For(version).Kallsyms;
        var predicted = LinkPrediction.SystemMapSymbols([Path.Combine(dir, "a.o")], [], Path.Combine(dir, "s.lds"), layout.ArraySymbolNames(options.BaseRelative),
            !options.AllSymbols, SystemMapFilter.ForKernel(version), linkerIsLld: linker.StartsWith("ld.lld", StringComparison.Ordinal));
        var table = KallsymsGenerator.Generate(predicted, layout, options, KallsymsTarget.X86_64);
        string Listed(KallsymsTable t) => string.Join(", ", t.Symbols.Select(s => $"{s.Type} {s.Name}"));
        CollectionAssert.AreEquivalent(real.Symbols.Select(s => $"{s.Type} {s.Name}").ToList(), table.Symbols.Select(s => $"{s.Type} {s.Name}").ToList(),
            $"linked: {Listed(real)}; predicted: {Listed(table)}");
        var names = real.Symbols.Select(s => s.Name).ToList();
        Assert.IsTrue(names.ToHashSet().IsSupersetOf(["head_start", "_stext", "_etext", "__init_begin", "_sinittext", "init_main", "init_alias", "_einittext"])
            && !names.Intersect(["__text_end", "init_tail", "_edata", "__init_data_begin", "banner"]).Any(),
            "the link puts each case on the side of its boundary this test is about: " + string.Join(", ", names));
        Directory.Delete(dir, true);
    }

    /// <summary>
    /// On the real kernels, from the inputs the SDK links (vmlinux.a whole, the libraries as a group, the export and
    /// version objects, the script): the predicted System.map names with their type letters are exactly make's, and so
    /// is the table (T: text only, where __init_begin shares _sinittext's address; a KALLSYMS_ALL kernel's is also
    /// checked as a text-only table).
    /// </summary>
    [TestMethod]
    [DataRow("6.1", "A")]
    [DataRow("6.12", "A")]
    [DataRow("6.1", "B")]
    [DataRow("6.12", "B")]
    [DataRow("6.1", "T")]
    [DataRow("6.12", "T")]
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
        var kernel = Kbuild.KernelTree.KernelTreeProbe.Load(build, values);
        AssertPredictsMap(kernel.WholeArchiveInputs.Where(File.Exists).ToList(), kernel.Libraries, kernel.LinkerScript,
            Path.Combine(build, "System.map"), kernel.Series.Name, kernel.KallsymsSwitches,
            linkerIsLld: Path.GetFileName(kernel.Linker).StartsWith("ld.lld", StringComparison.Ordinal), linkerFlags: kernel.LinkerFlags);
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
        var labels = KernelSeries.For(version).Kallsyms.ArraySymbolNames(baseRelativeSwitch: true)
            .Select(n => (n, ".rodata"));
        var (predicted, elfClass) = LinkPrediction.Predict(objects, libraries, LinkerScriptLayout.Read(script), labels, ["_text"], linkerIsLld, linkerFlags);
        var filter = SystemMapFilter.ForKernel(version);
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
        // A KALLSYMS_ALL kernel's map has every symbol, so it also says what a text-only table of this layout would hold.
        var layout = KernelSeries.For(version).Kallsyms;
        var kept = predicted.Where(s => filter.Keeps(NmFormat.Line(s, digits))).ToList();
        foreach (var tableOptions in options.AllSymbols ? [options, options with { AllSymbols = false }] : new[] { options })
        {
            var reservation = Reservation.Create(kept, layout, tableOptions, KallsymsTarget.X86_64, ReservationSlack.None);
            var real = KallsymsGenerator.Generate(SystemMap.Read(systemMap), layout, tableOptions, KallsymsTarget.X86_64);
            var predictedTable = reservation.Table.Symbols.Select(s => $"{s.Type} {s.Name}").Order(StringComparer.Ordinal).ToList();
            var realTable = real.Symbols.Select(s => $"{s.Type} {s.Name}").Order(StringComparer.Ordinal).ToList();
            var tableExtra = predictedTable.Except(realTable).ToList();
            var tableMissing = realTable.Except(predictedTable).ToList();
            Assert.IsTrue(tableExtra.Count == 0 && tableMissing.Count == 0 && predictedTable.Count == realTable.Count,
                $"{(tableOptions.AllSymbols ? "all symbols" : "text only")}: predicted table {predictedTable.Count} symbols, real " +
                $"{realTable.Count}; predicted only: {string.Join(", ", tableExtra.Take(20))}; real only: {string.Join(", ", tableMissing.Take(20))}");
            foreach (var array in real.Arrays)
                Assert.AreEqual(array.Size, reservation.Table.Find(array.SymbolName)!.Size, array.SymbolName);
        }
    }
}
