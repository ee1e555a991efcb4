using System.Text.RegularExpressions;
using Kbuild.Elf;

namespace Kbuild.Tests.Elf;

/// <summary>
/// BtfNames against bpftool, the kernel's own BTF reader: on the vmlinux make linked for each BTF fixture, the same
/// functions and variables in the same order, and the same data sections with the same variables at the same offsets.
/// Damaged sections give null, never an exception.
/// </summary>
[TestClass]
public sealed partial class BtfNamesTests
{
    [TestMethod]
    [DataRow("6.1", "BTF", "vmlinux")]
    [DataRow("6.12", "BTF", "vmlinux")]
    [DataRow("7.3", "P", "vmlinux.unstripped")]
    public void NamesAreTheFunctionsAndVariablesBpftoolLists(string version, string config, string image)
    {
        var vmlinux = Path.Combine(KernelFixtures.BuildDir(version, config), image);
        var names = BtfNames.Read(BtfSection(vmlinux));
        Assert.IsNotNull(names);

        var dump = Tool.RunChecked("bpftool", ["btf", "dump", "file", vmlinux]);
        var listed = BpftoolLine().Matches(dump).Select(m => (Kind: m.Groups["kind"].Value, Name: m.Groups["name"].Value)).ToList();
        CollectionAssert.AreEqual(listed.Where(l => l.Kind == "FUNC").Select(l => l.Name).ToList(), names.Functions.ToList());
        CollectionAssert.AreEqual(listed.Where(l => l.Kind == "VAR").Select(l => l.Name).ToList(), names.Variables.ToList());
        Assert.IsTrue(names.Functions.Count > 1000, $"{names.Functions.Count} functions");
        var sections = DataSectionLine().Matches(dump).Select(m => $"{m.Groups["name"].Value} {m.Groups["size"].Value}:" + string.Concat(
            VariableLine().Matches(m.Groups["vars"].Value).Select(v => $" {v.Groups["name"].Value}@{v.Groups["offset"].Value}+{v.Groups["size"].Value}"))).ToList();
        CollectionAssert.AreEqual(sections, names.DataSections.Select(d => $"{d.Name} {d.Size}:" + string.Concat(d.Variables.Select(v => $" {v.Name}@{v.Offset}+{v.Size}"))).ToList());
    }

    // "[19691] DATASEC '.data..percpu' size=157760 vlen=225" and its "\ttype_id=26676 offset=0 size=4096 (VAR 'cpu_debug_store')" lines.
    [GeneratedRegex(@"^\[\d+\] DATASEC '(?<name>[^']*)' size=(?<size>\d+) vlen=\d+\n(?<vars>(?:\t[^\n]*\n)*)", RegexOptions.Multiline)]
    private static partial Regex DataSectionLine();

    [GeneratedRegex(@"offset=(?<offset>\d+) size=(?<size>\d+) \(VAR '(?<name>[^']*)'\)")]
    private static partial Regex VariableLine();

    [TestMethod]
    public void DamagedSectionsGiveNullOrNames()
    {
        var btf = BtfSection(Path.Combine(KernelFixtures.BuildDir("6.12", "BTF"), "vmlinux"));
        Assert.IsNull(BtfNames.Read([]));
        Assert.IsNull(BtfNames.Read(btf.AsSpan(0, 23)));
        Assert.IsNull(BtfNames.Read(btf.AsSpan(0, btf.Length - 1)), "strings cut short");
        var random = new Random(9);
        for (var i = 0; i < 2000; i++)
        {
            var damaged = (byte[])btf.Clone();
            for (var flips = random.Next(1, 8); flips > 0; flips--)
                damaged[random.Next(i % 2 == 0 ? 24 : damaged.Length)] = (byte)random.Next(256);
            _ = BtfNames.Read(damaged.AsSpan(0, random.Next(damaged.Length + 1)));
        }
    }

    private static byte[] BtfSection(string elf)
    {
        using var image = ElfImage.Open(elf);
        return image.ReadSection(image.FindSection(".BTF") ?? throw new AssertFailedException($"{elf} has no .BTF"));
    }

    // bpftool's raw dump: "[17] FUNC 'start_kernel' type_id=16 linkage=global".
    [GeneratedRegex(@"^\[\d+\] (?<kind>FUNC|VAR) '(?<name>[^']*)'", RegexOptions.Multiline)]
    private static partial Regex BpftoolLine();
}
