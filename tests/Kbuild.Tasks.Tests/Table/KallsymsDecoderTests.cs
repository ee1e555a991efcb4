using Kbuild.Kernel;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Symbols;
using Kbuild.Table;

namespace Kbuild.Tests.Table;

[TestClass]
public sealed class KallsymsDecoderTests
{
    /// <summary>A table's section bytes placed at an address, read the way the decoder reads an image.</summary>
    private sealed class TableImage : KallsymsDecoder.IImage
    {
        private const ulong Base = 0xffffffff82000000;
        private readonly byte[] _blob;
        private readonly IReadOnlyDictionary<string, int> _offsets;

        public TableImage(KallsymsTable table)
        {
            _blob = table.ToSectionBytes(out _offsets);
            PointerSize = table.Target.PointerSize;
            IsLittleEndian = table.Target.IsLittleEndian;
        }

        public string Name => "table";
        public bool IsLittleEndian { get; }
        public int PointerSize { get; }
        public ulong? AddressOf(string symbol) => _offsets.TryGetValue(symbol, out var o) ? Base + (ulong)o : null;
        public ReadOnlySpan<byte> ReadFrom(ulong address) => _blob.AsSpan((int)(address - Base));
    }

    public static IEnumerable<object[]> Cases =>
    [
        ["6.1", false, false, true, ElfClass.Elf64, true],
        ["6.1", true, true, true, ElfClass.Elf64, true],
        ["6.1", true, true, false, ElfClass.Elf64, true],
        ["6.1", true, false, false, ElfClass.Elf32, true],
        ["6.12", true, true, true, ElfClass.Elf64, true],
        ["6.12", false, false, true, ElfClass.Elf64, false],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void DecodesWhatTheGeneratorWrote(string version, bool all, bool percpu, bool relative, ElfClass elfClass, bool little)
    {
        var text = elfClass == ElfClass.Elf64 ? 0xffffffff81000000 : 0xc1000000;
        var map = SyntheticMap.Kernel(seed: 3, functions: 1000, percpu: percpu, longNames: 15, text: text);
        var table = KallsymsGenerator.Generate(SystemMap.Parse(new StringReader(map.ToString()), null),
            KernelSeries.For(version).Kallsyms, new KallsymsOptions { AllSymbols = all, AbsolutePercpu = percpu, BaseRelative = relative },
            new KallsymsTarget(elfClass, little));
        CollectionAssert.AreEqual(table.Symbols.ToArray(), KallsymsDecoder.Decode(new TableImage(table), percpu).ToArray());
    }

    /// <summary>The kernel-built vmlinux holds exactly its System.map filtered by the kallsyms rules, in table order.</summary>
    [TestMethod]
    [DataRow("6.1", "A")]
    [DataRow("6.1", "B")]
    [DataRow("6.12", "A")]
    [DataRow("6.12", "B")]
    public void DecodesTheKernelBuiltVmlinux(string version, string config)
    {
        var build = KernelFixtures.BuildDir(version, config);
        var options = FixtureKernel.KallsymsOptions(build);
        var expected = KallsymsGenerator.Generate(SystemMap.Read(Path.Combine(build, "System.map")),
            KernelSeries.For(version).Kallsyms, options, KallsymsTarget.X86_64).Symbols;
        using var vmlinux = ElfImage.Open(Path.Combine(build, "vmlinux"));
        var decoded = KallsymsDecoder.Decode(vmlinux, options.AbsolutePercpu);
        Assert.IsTrue(decoded.Count > 10000);
        CollectionAssert.AreEqual(expected.ToArray(), decoded.ToArray());
    }

    [TestMethod]
    public void AnImageWithoutTableIsAKbError()
    {
        var dir = TestTemp.Directory("kallsyms-decode-");
        var c = Path.Combine(dir, "x.c");
        File.WriteAllText(c, "int main(void) { return 0; }\n");
        Tool.RunChecked("gcc", ["-o", Path.Combine(dir, "x"), c]);
        using var image = ElfImage.Open(Path.Combine(dir, "x"));
        var e = Assert.ThrowsExactly<KbuildException>(() => KallsymsDecoder.Decode(image));
        Assert.AreEqual(ErrorCodes.KallsymsTableUnreadable, e.Code);
    }
}
