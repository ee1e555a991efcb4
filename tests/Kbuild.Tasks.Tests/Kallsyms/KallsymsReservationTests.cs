using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Kallsyms;

namespace Kbuild.Tests.Kallsyms;

/// <summary>What the reservation/patch step relies on: padded arrays, placeholder addresses, addends.</summary>
[TestClass]
public sealed class KallsymsReservationTests
{
    private static KallsymsTable Table(string version, KallsymsOptions options, int seed = 9) =>
        KallsymsGenerator.Generate(SystemMap.Parse(new StringReader(SyntheticMap.Kernel(seed, 500).ToString()), null),
            KallsymsLayout.For(version), options, KallsymsTarget.X86_64);

    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void PaddedAssemblyReservesEachArray(string version)
    {
        var table = Table(version, new KallsymsOptions { AllSymbols = true, BaseRelative = true });
        var reserved = table.Arrays.ToDictionary(a => a.SymbolName, a => a.Size + 100);
        var dir = Directory.CreateTempSubdirectory("kallsyms-reserve-").FullName;
        var assembled = KernelKallsymsTool.Assemble(KallsymsAssembly.ToText(table, reserved), ElfClass.Elf64,
            table.TextAddress, dir, "reserved");
        var symbols = Tool.RunChecked("nm", ["-n", Path.Combine(dir, "reserved.o")]).Split('\n')
            .Where(l => l.Contains(" R "))
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[2], p => Convert.ToInt32(p[0], 16));
        var offset = 0;
        foreach (var array in table.Arrays)
        {
            offset = (offset + array.Alignment - 1) / array.Alignment * array.Alignment;
            Assert.AreEqual(offset, symbols[array.SymbolName], array.SymbolName);
            CollectionAssert.AreEqual(array.Bytes, assembled.LinkedRodata.AsSpan(offset, array.Size).ToArray(), array.SymbolName);
            Assert.AreEqual(-1, assembled.LinkedRodata.AsSpan(offset + array.Size, 100).IndexOfAnyExcept((byte)0), "padding is zeros");
            offset += reserved[array.SymbolName];
        }
    }

    [TestMethod]
    public void ArrayLargerThanItsReservationIsAnError()
    {
        var table = Table("6.12", new KallsymsOptions { AllSymbols = true });
        var reserved = table.Arrays.ToDictionary(a => a.SymbolName, a => a.Size);
        reserved["kallsyms_names"] -= 1;
        var e = Assert.ThrowsExactly<KbuildException>(() => KallsymsAssembly.ToText(table, reserved));
        Assert.AreEqual(ErrorCodes.KallsymsReservationTooSmall, e.Code);
        StringAssert.Contains(e.Message, "kallsyms_names");
    }

    /// <summary>Placeholder addresses: nothing dropped or rejected by address, names as with all symbols.</summary>
    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void PlaceholderAddressesKeepTheSupersetWithoutOverflowChecks(string version)
    {
        var map = SystemMap.Parse(new StringReader(SyntheticMap.Kernel(4, 500).ToString()), null);
        var placeholders = map.Select((s, i) => s with { Address = (ulong)i * 0x1_0000_0000 }).ToList();
        var real = KallsymsGenerator.Generate(map, KallsymsLayout.For(version),
            new KallsymsOptions { AllSymbols = true, BaseRelative = true }, KallsymsTarget.X86_64);
        var reservation = KallsymsGenerator.Generate(placeholders, KallsymsLayout.For(version),
            new KallsymsOptions { BaseRelative = true, PlaceholderAddresses = true }, KallsymsTarget.X86_64);
        CollectionAssert.AreEquivalent(real.Symbols.Select(s => s.Name).ToArray(), reservation.Symbols.Select(s => s.Name).ToArray());
        foreach (var array in real.Arrays)
            Assert.AreEqual(array.Size, reservation.Find(array.SymbolName)!.Size, array.SymbolName);
    }

    [TestMethod]
    public void RelativeBaseCarriesItsTextAddend()
    {
        var table = Table("6.12", new KallsymsOptions { AllSymbols = true });
        var relativeBase = table[KallsymsArrayKind.RelativeBase];
        Assert.AreEqual(table.RelativeBase, table.TextAddress + (ulong)table.RelativeBaseTextAddend);
        Assert.AreEqual(new TextRelocation(0, table.RelativeBaseTextAddend), relativeBase.TextRelocations.Single());
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
            KallsymsGenerator.ArraySymbolNames(KallsymsLayout.For(version), options).ToArray());
    }

    /// <summary>Where the kernel keeps the kallsyms_* labels (6.12), the reservation's table lists them too.</summary>
    [TestMethod]
    public void ReservationTableListsTheArrayLabelsTheKernelKeeps()
    {
        var map = SystemMap.Parse(new StringReader(SyntheticMap.Kernel(9, 500).ToString()), null)
            .Where(s => !s.Name.StartsWith("kallsyms_", StringComparison.Ordinal)).ToList();
        var reservation = Reservation.Create(map, KallsymsLayout.For("6.12"), new KallsymsOptions { AllSymbols = true },
            KallsymsTarget.X86_64, ReservationSlack.None);
        var names = reservation.Table.Symbols.Select(s => s.Name).ToHashSet();
        foreach (var array in reservation.Table.Arrays)
            Assert.Contains(array.SymbolName, names);
    }
}
