using Kbuild.Kernel;
using Kbuild.IO;
using Kbuild.Symbols;
using Kbuild.Table;

namespace Kbuild.Tests.Table;

/// <summary>
/// The caches a relink reuses (compressed names, the inputs' symbols, the reservation's key) give exactly what
/// computing afresh gives, and are not reused when what they were made from changed.
/// </summary>
[TestClass]
public sealed class IncrementalCacheTests
{
    private static readonly KallsymsOptions Options = new() { AllSymbols = true, BaseRelative = true };

    private static IReadOnlyList<NmSymbol> Map(int seed, int functions = 2000) =>
        SystemMap.Parse(new StringReader(SyntheticMap.Kernel(seed, functions).ToString()), null);

    private static KallsymsTable Generate(IReadOnlyList<NmSymbol> map, string version, string? cache = null) =>
        KallsymsGenerator.Generate(map, KernelSeries.For(version).Kallsyms, Options, KallsymsTarget.X86_64, compressNames: cache == null ? null : CompressedNames.KeptIn(new CacheFile(cache)));

    private static void AssertSameTable(KallsymsTable expected, KallsymsTable actual)
    {
        Assert.AreEqual(expected.Arrays.Count, actual.Arrays.Count);
        for (var i = 0; i < expected.Arrays.Count; i++)
            CollectionAssert.AreEqual(expected.Arrays[i].Bytes, actual.Arrays[i].Bytes, expected.Arrays[i].SymbolName);
    }

    private static string TempDir() => TestTemp.Directory("kbuild-cache-");

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void CompressedNames_FromTheCache_AreByteIdenticalToACompression(string version)
    {
        var dir = TempDir();
        var cache = Path.Combine(dir, "names.cache");
        var map = Map(11);
        var fresh = Generate(map, version);

        AssertSameTable(fresh, Generate(map, version, cache));   // writes the cache
        var symbols = fresh.Symbols.Select(s => Symbol(s)).ToArray();
        Assert.IsTrue(CompressedNames.Compress(symbols, new CacheFile(cache)).Reused, "the same names must come from the cache");
        AssertSameTable(fresh, Generate(map, version, cache));   // reads it

        // Same names at other addresses (another order in the table): still reused, and still what a compression gives.
        var moved = map.Select((s, i) => s.Name.StartsWith("_", StringComparison.Ordinal) ? s : s with { Address = s.Address + (ulong)(i % 7) * 16 }).ToList();
        AssertSameTable(Generate(moved, version), Generate(moved, version, cache));
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void CompressedNames_AnotherNameSet_IsCompressedAgain()
    {
        var dir = TempDir();
        var cache = Path.Combine(dir, "names.cache");
        var map = Map(12);
        Generate(map, "6.12", cache);

        var renamed = map.Select((s, i) => i == map.Count / 2 ? s with { Name = s.Name + "_renamed" } : s).ToList();
        var added = map.Append(new NmSymbol(map[^1].Address, 'T', "one_more_symbol")).ToList();
        var removed = map.Where((_, i) => i != map.Count / 3).ToList();
        var retyped = map.Select((s, i) => i == map.Count / 4 ? s with { Type = s.Type == 't' ? 'T' : 't' } : s).ToList();
        // One name twice instead of two names: the multiset differs though the set of distinct names may not.
        var doubled = map.Select((s, i) => i == map.Count / 5 ? s with { Name = map[i + 1].Name } : s).ToList();
        foreach (var changed in new[] { renamed, added, removed, retyped, doubled })
        {
            var table = Generate(changed, "6.12");
            Assert.IsFalse(CompressedNames.Compress(table.Symbols.Select(Symbol).ToArray(), new CacheFile(cache)).Reused);
            AssertSameTable(table, Generate(changed, "6.12", cache));
            Generate(map, "6.12", cache);  // back to the original cache
        }

        File.WriteAllBytes(cache, File.ReadAllBytes(cache)[..100]);  // damaged: ignored
        AssertSameTable(Generate(map, "6.12"), Generate(map, "6.12", cache));
        Directory.Delete(dir, true);
    }

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void Reservation_LeavesTheFinalTablesCompressedNamesInTheCache(string version)
    {
        var dir = TempDir();
        var cache = Path.Combine(dir, "names.cache");
        var map = Map(13);
        // The reservation of the predicted symbols (placeholder addresses) and the table of the linked image (the same
        // symbols at their real addresses, the array labels among them as the image has them).
        var reservation = Reservation.Create(map, KernelSeries.For(version).Kallsyms, Options, KallsymsTarget.X86_64, ReservationSlack.None, CompressedNames.KeptIn(new CacheFile(cache)));
        var linked = reservation.Table.Symbols.Select((s, i) => s with { Address = 0xffffffff81000000UL + (ulong)i * 16 }).ToList();
        var final = Generate(linked, version);
        Assert.IsTrue(CompressedNames.Compress(final.Symbols.Select(Symbol).ToArray(), new CacheFile(cache)).Reused, "the patch must find the reservation's names");
        AssertSameTable(final, Generate(linked, version, cache));
        Directory.Delete(dir, true);
    }

    private static byte[] Symbol(NmSymbol s) => [(byte)s.Type, .. System.Text.Encoding.Latin1.GetBytes(s.Name)];

    [TestMethod]
    public void ReservationKey_ChangesWithWhatTheReservationIsMadeFrom()
    {
        var map = Map(13, 300);
        var layout = KernelSeries.For("6.12").Kallsyms;
        string Key(IReadOnlyList<NmSymbol> m, KallsymsLayout? l = null, KallsymsOptions? o = null, ReservationSlack? slack = null, string cc = "gcc") =>
            ReservationReuse.KeyOf(m, l ?? layout, o ?? Options, KallsymsTarget.X86_64, slack ?? ReservationSlack.None, cc, null);

        var key = Key(map);
        Assert.AreEqual(key, Key([.. map]));
        var others = new[]
        {
            Key(map.Select((s, i) => i == 5 ? s with { Name = s.Name + "x" } : s).ToList()),
            Key(map.Append(new NmSymbol(1, 'T', "added")).ToList()),
            Key(map.Skip(1).ToList()),
            Key(map.Select((s, i) => i == 5 ? s with { Address = s.Address + 64 } : s).ToList()),
            Key(map, KernelSeries.For("6.1").Kallsyms),
            Key(map, o: Options with { AbsolutePercpu = true }),
            Key(map, slack: new ReservationSlack(2, 0)),
            Key(map, cc: "clang"),
        };
        foreach (var other in others) Assert.AreNotEqual(key, other);
        Assert.AreEqual(others.Length, others.Distinct().Count());
    }

    [TestMethod]
    public void ReservationReuse_OnlyWithTheSameKeyAndBothFiles()
    {
        var dir = TempDir();
        var (obj, rooms) = (Path.Combine(dir, "r.o"), Path.Combine(dir, "r.json"));
        File.WriteAllText(obj, "object");
        File.WriteAllText(rooms, new ReservationRooms(ReservationSlack.None, [new ReservedArray("kallsyms_names", 10, 10)]).ToJson());

        Assert.IsNull(ReservationReuse.TryReuse(obj, rooms, "K"), "no key file yet");
        ReservationReuse.Remember(obj, rooms, "K");
        Assert.IsNotNull(ReservationReuse.TryReuse(obj, rooms, "K"));
        Assert.IsNull(ReservationReuse.TryReuse(obj, rooms, "other"));
        ReservationReuse.Forget(obj);
        Assert.IsNull(ReservationReuse.TryReuse(obj, rooms, "K"), "a forgotten key vouches for nothing");
        ReservationReuse.Remember(obj, rooms, "K");
        File.Delete(rooms);
        Assert.IsNull(ReservationReuse.TryReuse(obj, rooms, "K"), "the rooms are gone");
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void InputSymbolCache_PredictsWhatReadingTheObjectsPredicts_AndSeesAChangedObject()
    {
        var dir = TempDir();
        File.WriteAllText(Path.Combine(dir, "s.lds"), "SECTIONS { .text : { _stext = .; *(.text*) _etext = .; } .data : { *(.data*) } .bss : { *(.bss*) } }");
        void Compile(string name, string code)
        {
            File.WriteAllText(Path.Combine(dir, name + ".c"), code);
            Tool.RunChecked("gcc", ["-O2", "-fno-pie", "-ffreestanding", "-c", "-o", name + ".o", name + ".c"], dir);
        }
        Compile("a", "int a_data = 1; static int a_local; int a_func(void) { return a_data + a_local++; }");
        Compile("b", "int b_func(void) { return 2; } void _start(void) { for (;;); }");
        Compile("lib", "int lib_used(void) { return 3; } int lib_other(void) { return 4; }");
        Tool.RunChecked("ar", ["rcsT", "thin.a", "a.o", "b.o"], dir);
        Tool.RunChecked("ar", ["rcs", "lib.a", "lib.o"], dir);
        Compile("c", "int lib_used(void); int c_func(void) { return lib_used(); }");
        var objects = new[] { "thin.a", "c.o" }.Select(f => Path.Combine(dir, f)).ToList();
        var libraries = new[] { Path.Combine(dir, "lib.a") };
        var (script, cache) = (Path.Combine(dir, "s.lds"), Path.Combine(dir, "symbols.cache"));
        var layout = KernelSeries.For("6.12").Kallsyms;
        var filter = SystemMapFilter.ForKernel("6.12");
        IReadOnlyList<NmSymbol> Predict(string? c) => LinkPrediction.SystemMapSymbols(objects, libraries, script, layout.ArraySymbolNames(Options.BaseRelative), !Options.AllSymbols, filter, c);

        var read = Predict(null);
        CollectionAssert.AreEqual(read.ToList(), Predict(cache).ToList(), "cold cache");
        Assert.IsTrue(File.Exists(cache));
        CollectionAssert.AreEqual(read.ToList(), Predict(cache).ToList(), "warm cache");

        Compile("a", "int a_renamed = 1; int a_func(void) { return a_renamed; } int a_added(void) { return 0; }");
        File.SetLastWriteTimeUtc(Path.Combine(dir, "a.o"), DateTime.UtcNow.AddSeconds(5));
        var changed = Predict(cache);
        CollectionAssert.AreEqual(Predict(null).ToList(), changed.ToList());
        Assert.IsTrue(changed.Any(s => s.Name == "a_renamed") && changed.Any(s => s.Name == "a_added") && changed.All(s => s.Name != "a_data"));

        File.WriteAllBytes(cache, File.ReadAllBytes(cache)[..(int)(new FileInfo(cache).Length / 2)]);  // damaged: ignored
        CollectionAssert.AreEqual(changed.ToList(), Predict(cache).ToList());
        Directory.Delete(dir, true);
    }

    /// <summary>The memo of the last prediction gives its key only while every input has the facts it had (a rebuilt
    /// but identical object included) in the same context; any change the prediction could see is a miss.</summary>
    [TestMethod]
    public void PredictionMemo_KeepsTheKeyForIdenticalInputsOnly()
    {
        var dir = TempDir();
        var script = Path.Combine(dir, "s.lds");
        File.WriteAllText(script, "SECTIONS { .text : { _stext = .; *(.text*) _etext = .; } .data : { *(.data*) } .bss : { *(.bss*) } }");
        void Compile(string name, string code)
        {
            File.WriteAllText(Path.Combine(dir, name + ".c"), code);
            Tool.RunChecked("gcc", ["-O2", "-fno-pie", "-ffreestanding", "-c", "-o", name + ".o", name + ".c"], dir);
            File.SetLastWriteTimeUtc(Path.Combine(dir, name + ".o"), DateTime.UtcNow.AddSeconds(Interlocked.Increment(ref _tick)));
        }
        const string A = "int a_data = 1; int a_func(void) { return a_data; }";
        Compile("a", A);
        Compile("b", "int b_func(void) { return 2; } void _start(void) { for (;;); }");
        Compile("lib", "int lib_used(void) { return 3; }");
        Tool.RunChecked("ar", ["rcsT", "thin.a", "a.o", "b.o"], dir);
        Tool.RunChecked("ar", ["rcs", "lib.a", "lib.o"], dir);
        var rules = KallsymsRules.For("6.12", Options);
        KallsymsReserver.Request Request(string linkerFlags = "") => new(
            [Path.Combine(dir, "thin.a")], [Path.Combine(dir, "lib.a")], script, rules, ReservationSlack.None, "gcc", "", dir) { LinkerFlags = linkerFlags };

        Assert.IsNull(KallsymsReserver.Unchanged(Request()), "no memo yet");
        var key = KallsymsReserver.Predict(Request()).Key;
        Assert.AreEqual(key, KallsymsReserver.Unchanged(Request())?.Key, "nothing changed");
        Compile("a", A);  // rebuilt, new modification time, the same facts
        Assert.AreEqual(key, KallsymsReserver.Unchanged(Request())?.Key, "a rebuilt object with the same symbols and sections");

        Assert.IsNull(KallsymsReserver.Unchanged(Request("-shared")), "other linker flags");
        Compile("a", "int a_data = 1; int a_func(void) { return a_data + 1; }");
        Assert.IsNull(KallsymsReserver.Unchanged(Request()), "a section size changed");
        var changed = KallsymsReserver.Predict(Request()).Key;
        Assert.AreEqual(changed, KallsymsReserver.Unchanged(Request())?.Key, "the full prediction wrote the memo again");
        Compile("a", "int a_renamed = 1; int a_func(void) { return a_renamed + 1; }");
        Assert.IsNull(KallsymsReserver.Unchanged(Request()), "a symbol renamed");
        KallsymsReserver.Predict(Request());
        File.AppendAllText(script, "\n/* a comment */\n");
        Assert.IsNull(KallsymsReserver.Unchanged(Request()), "the linker script changed");
        KallsymsReserver.Predict(Request());
        Tool.RunChecked("ar", ["rcsT", "thin2.a", "b.o"], dir);
        File.Move(Path.Combine(dir, "thin2.a"), Path.Combine(dir, "thin.a"), overwrite: true);
        Assert.IsNull(KallsymsReserver.Unchanged(Request()), "an object removed");
        KallsymsReserver.Predict(Request());
        File.WriteAllBytes(Path.Combine(dir, "kallsyms.prediction.memo"), [1, 2, 3]);
        Assert.IsNull(KallsymsReserver.Unchanged(Request()), "a damaged memo");
        Directory.Delete(dir, true);
    }

    private static int _tick;
}

/// <summary>The reservation object written without the assembler is the one <c>gcc -c</c> makes of its .S, byte for byte.</summary>
[TestClass]
public sealed class ReservationObjectWriterTests
{
    [TestMethod]
    [DataRow("6.1", true, 0)]
    [DataRow("6.1", false, 0)]
    [DataRow("6.1", true, 3)]
    [DataRow("6.12", true, 0)]
    [DataRow("6.12", true, 5)]
    public void DirectObject_IsWhatGccAssembles(string version, bool baseRelative, int slackPercent)
    {
        var map = SystemMap.Parse(new StringReader(SyntheticMap.Kernel(21, 700).ToString()), null);
        var reservation = Reservation.Create(map, KernelSeries.For(version).Kallsyms, new KallsymsOptions { AllSymbols = true, BaseRelative = baseRelative },
            KallsymsTarget.X86_64, new ReservationSlack(slackPercent, 0));
        Assert.IsTrue(ReservationObjectWriter.Supports(62, reservation.Table));
        var dir = TestTemp.Directory("kbuild-reserve-o-");
        File.WriteAllText(Path.Combine(dir, "r.S"), reservation.ToAssembly());
        Tool.RunChecked("gcc", ["-c", "-o", "r.o", "r.S"], dir);

        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(dir, "r.o")),
            ReservationObjectWriter.Write(reservation.Table, reservation.ReservedSizes));
        Directory.Delete(dir, true);
    }
}
