using Kbuild.Kernel;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Symbols;
using Kbuild.Table;

namespace Kbuild.Tests.Table;

/// <summary>What the reservation/patch step relies on: padded arrays, placeholder addresses, addends.</summary>
[TestClass]
public sealed class KallsymsReservationTests
{
    private static KallsymsTable Table(string version, KallsymsOptions options, int seed = 9) =>
        KallsymsGenerator.Generate(SystemMap.Parse(new StringReader(SyntheticMap.Kernel(seed, 500).ToString()), null),
            KernelSeries.For(version).Kallsyms, options, KallsymsTarget.X86_64);

    /// <summary>
    /// The reservation object holds labels at aligned offsets with their room between them, the pointer slots with
    /// their relocations against _text, and zeros everywhere else (so an unpatched image has no symbols).
    /// </summary>
    [TestMethod]
    [DataRow("6.1", true)]
    [DataRow("6.1", false)]
    [DataRow("6.12", true)]
    [DataRow("7.3", false)]
    public void ReservationAssemblyHoldsLabelsRoomAndPointerSlotsOnly(string version, bool baseRelative)
    {
        var table = Table(version, new KallsymsOptions { AllSymbols = true, BaseRelative = baseRelative, PcRelative = true });
        var reserved = table.Arrays.ToDictionary(a => a.SymbolName, a => KallsymsTable.AlignUp(a.Size + 100, a.Alignment));
        var dir = TestTemp.Directory("kallsyms-reserve-");
        var assembled = KernelKallsymsTool.Assemble(KallsymsAssembly.ReservationToText(table, reserved), ElfClass.Elf64,
            table.TextAddress, dir, "reserved");
        var labels = Tool.RunChecked("nm", [Path.Combine(dir, "reserved.o")]).Split('\n')
            .Select(l => l.Split(' ')).Where(p => p.Length == 3 && p[1] == "R")
            .ToDictionary(p => p[2], p => Convert.ToInt32(p[0], 16));
        var offset = 0;
        foreach (var array in table.Arrays)
        {
            offset = KallsymsTable.AlignUp(offset, array.Alignment);
            Assert.AreEqual(offset, labels[array.SymbolName], array.SymbolName);
            var expected = new byte[reserved[array.SymbolName]];
            var linked = array.LinkedAt(assembled.LinkedAddress + (ulong)offset, table.TextAddress, new ByteOrder(true));
            var slotSize = array.RelocationKind == TextRelocationKind.Pointer ? 8 : 4;
            foreach (var slot in array.TextRelocations)
                linked.AsSpan(slot.Offset, slotSize).CopyTo(expected.AsSpan(slot.Offset));
            CollectionAssert.AreEqual(expected, assembled.LinkedRodata.AsSpan(offset, expected.Length).ToArray(), array.SymbolName);
            offset += reserved[array.SymbolName];
        }
        Assert.AreEqual(table.Arrays.Sum(a => a.TextRelocations.Count),
            assembled.Relocations.Split('\n').Count(l => (l.Contains("R_X86_64_64") || l.Contains("R_X86_64_PC32")) && l.Contains(" _text ")), assembled.Relocations);
        Directory.Delete(dir, true);
    }

    /// <summary>The rooms file round-trips (slack and every array, in order), a file of an earlier version (with the
    /// derived IsNone) still reads, and a damaged one is KB0308 naming it, never another exception.</summary>
    [TestMethod]
    public void RoomsFile_RoundTrips_AndADamagedOneIsAKbError()
    {
        var dir = TestTemp.Directory("kallsyms-rooms-");
        var path = Path.Combine(dir, "kallsyms.reserve.json");
        var rooms = new ReservationRooms(new ReservationSlack(2, 64), [new ReservedArray("kallsyms_names", 10, 12), new ReservedArray("kallsyms_offsets", 4, 8)]);
        File.WriteAllText(path, rooms.ToJson());
        var read = ReservationRooms.Read(path);
        Assert.AreEqual(rooms.Slack, read.Slack);
        CollectionAssert.AreEqual(rooms.Arrays.ToList(), read.Arrays.ToList());

        File.WriteAllText(path, """{ "Slack": { "Percent": 0, "MinimumBytes": 0, "IsNone": true }, "Arrays": [ { "SymbolName": "kallsyms_names", "Used": 3, "Reserved": 3 } ] }""");
        Assert.AreEqual(new ReservedArray("kallsyms_names", 3, 3), ReservationRooms.Read(path).Arrays.Single());

        foreach (var damaged in new[] { "", "[]", "{}", """{ "Slack": 1, "Arrays": [] }""", """{ "Slack": { "Percent": 0, "MinimumBytes": 0 }, "Arrays": [] }""",
                     """{ "Slack": { "Percent": "2", "MinimumBytes": 0 }, "Arrays": [ { "SymbolName": "a", "Used": 1, "Reserved": 1 } ] }""",
                     """{ "Slack": { "Percent": 0, "MinimumBytes": 0 }, "Arrays": [ { "SymbolName": null, "Used": 1, "Reserved": 1 } ] }""",
                     """{ "Slack": { "Percent": 0, "MinimumBytes": 0 }, "Arrays": [ { "SymbolName": "a", "Used": 1, "Reserved": 4294967296 } ] }""",
                     """{ "Slack": { "Percent": 0, "MinimumBytes": 0 }, "Arrays": { "SymbolName": "a" } }""" })
        {
            File.WriteAllText(path, damaged);
            var e = Assert.ThrowsExactly<KbuildException>(() => ReservationRooms.Read(path), damaged);
            Assert.AreEqual(ErrorCodes.KallsymsReservationMissing, e.Code, damaged);
            Assert.AreEqual(path, e.File);
        }
    }

    [TestMethod]
    public void ArrayLargerThanItsReservationIsAnError()
    {
        var table = Table("6.12", new KallsymsOptions { AllSymbols = true });
        var reserved = table.Arrays.ToDictionary(a => a.SymbolName, a => a.Size);
        reserved["kallsyms_names"] -= 1;
        var e = Assert.ThrowsExactly<KbuildException>(() => KallsymsAssembly.ReservationToText(table, reserved));
        Assert.AreEqual(ErrorCodes.KallsymsReservationTooSmall, e.Code);
        StringAssert.Contains(e.Message, "kallsyms_names");
    }

    /// <summary>Placeholder addresses: no relative-overflow check, the same arrays as with the real addresses.</summary>
    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void PlaceholderAddressesSkipTheOverflowCheck(string version)
    {
        var map = SystemMap.Parse(new StringReader(SyntheticMap.Kernel(4, 500).ToString()), null);
        var placeholders = map.Select((s, i) => s with { Address = (ulong)i * 0x1_0000_0000 }).ToList();
        var real = KallsymsGenerator.Generate(map, KernelSeries.For(version).Kallsyms,
            new KallsymsOptions { AllSymbols = true, BaseRelative = true }, KallsymsTarget.X86_64);
        var reservation = KallsymsGenerator.Generate(placeholders, KernelSeries.For(version).Kallsyms,
            new KallsymsOptions { AllSymbols = true, BaseRelative = true, PlaceholderAddresses = true }, KallsymsTarget.X86_64);
        CollectionAssert.AreEquivalent(real.Symbols.Select(s => s.Name).ToArray(), reservation.Symbols.Select(s => s.Name).ToArray());
        foreach (var array in real.Arrays)
            Assert.AreEqual(array.Size, reservation.Find(array.SymbolName)!.Size, array.SymbolName);
    }

    [TestMethod]
    public void RelativeBaseCarriesItsTextAddend()
    {
        var table = Table("6.12", new KallsymsOptions { AllSymbols = true });
        var relativeBase = table[KallsymsArrayKind.RelativeBase];
        // kallsyms_relative_base is "_text + addend": the relocation's addend is the distance from _text.
        var addend = unchecked((long)(table.RelativeBase!.Value - table.TextAddress));
        Assert.AreEqual(new TextRelocation(0, addend), relativeBase.TextRelocations.Single());
        Assert.AreEqual(table.RelativeBase, BitConverter.ToUInt64(relativeBase.Bytes));
    }

    /// <summary>The labels a reservation adds before its one generation are the arrays the table really has.</summary>
    [TestMethod]
    [DataRow("6.1", false)]
    [DataRow("6.1", true)]
    [DataRow("6.12", false)]
    public void ArraySymbolNamesAreTheGeneratedTablesArrays(string version, bool baseRelative)
    {
        var options = new KallsymsOptions { AllSymbols = true, BaseRelative = baseRelative };
        var table = Table(version, options);
        CollectionAssert.AreEqual(table.Arrays.Select(a => a.SymbolName).ToArray(),
            KernelSeries.For(version).Kallsyms.ArraySymbolNames(options.BaseRelative).ToArray());
    }

    /// <summary>Where the kernel keeps the kallsyms_* labels (6.12), the reservation's table lists them too.</summary>
    [TestMethod]
    public void ReservationTableListsTheArrayLabelsTheKernelKeeps()
    {
        var map = SystemMap.Parse(new StringReader(SyntheticMap.Kernel(9, 500).ToString()), null)
            .Where(s => !s.Name.StartsWith("kallsyms_", StringComparison.Ordinal)).ToList();
        var reservation = Reservation.Create(map, KernelSeries.For("6.12").Kallsyms, new KallsymsOptions { AllSymbols = true },
            KallsymsTarget.X86_64, ReservationSlack.None);
        var names = reservation.Table.Symbols.Select(s => s.Name).ToHashSet();
        foreach (var array in reservation.Table.Arrays)
            Assert.Contains(array.SymbolName, names);
    }

    /// <summary>
    /// Without slack the reservation object is the kernel's own: assembled from the kernel's scripts/kallsyms .S
    /// of the same symbols, both have one .rodata of the same size and alignment, the same symbols in the same
    /// order (GLOBAL NOTYPE, size 0) and the same relocations.
    /// </summary>
    [TestMethod]
    [DataRow("6.1", true)]
    [DataRow("6.12", true)]
    [DataRow("6.12", false)]
    [DataRow("7.2", true)]
    [DataRow("7.3", true)]
    [DataRow("7.3", false)]
    public void ExactReservationObjectIsLaidOutLikeTheKernels(string version, bool allSymbols)
    {
        var mapText = SyntheticMap.Kernel(9, 500).ToString();
        var options = new KallsymsOptions { AllSymbols = allSymbols, BaseRelative = true, PcRelative = true };
        var table = KallsymsGenerator.Generate(SystemMap.Parse(new StringReader(mapText), null), KernelSeries.For(version).Kallsyms, options,
            KallsymsTarget.X86_64);
        var reservation = Reservation.FromTable(table, ReservationSlack.None);
        var dir = TestTemp.Directory("kallsyms-exact-");
        KernelKallsymsTool.AssembleObject(reservation.ToAssembly(), ElfClass.Elf64, dir, "ours");
        var map = Path.Combine(dir, "System.map");
        File.WriteAllText(map, mapText);
        var kernelSource = KernelKallsymsTool.Run(version, KernelKallsymsTool.Flags(version, options), map);
        Assert.AreEqual(0, kernelSource.ExitCode, kernelSource.StdErr);
        KernelKallsymsTool.AssembleObject(kernelSource.StdOut, ElfClass.Elf64, dir, "kernels");
        string Shape(string name) => Tool.RunChecked("readelf", ["-SsrW", Path.Combine(dir, name + ".o")])
            .Replace(name, "X");
        Assert.AreEqual(Shape("kernels"), Shape("ours"));
        Directory.Delete(dir, true);
    }
}
