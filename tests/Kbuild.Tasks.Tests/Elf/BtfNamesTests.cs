using System.Text.RegularExpressions;
using Kbuild.Elf;

namespace Kbuild.Tests.Elf;

/// <summary>
/// BtfNames against bpftool, the kernel's own BTF reader: on the vmlinux make linked for each BTF fixture, the same
/// functions and variables in the same order. Damaged sections give null, never an exception.
/// </summary>
[TestClass]
public sealed partial class BtfNamesTests
{
    [TestMethod]
    [DataRow("6.1")]
    [DataRow("6.12")]
    public void NamesAreTheFunctionsAndVariablesBpftoolLists(string version)
    {
        var vmlinux = Path.Combine(KernelFixtures.BuildDir(version, "BTF"), "vmlinux");
        var names = BtfNames.Read(BtfSection(vmlinux));
        Assert.IsNotNull(names);

        var dump = Tool.RunChecked("bpftool", ["btf", "dump", "file", vmlinux]);
        var listed = BpftoolLine().Matches(dump).Select(m => (Kind: m.Groups["kind"].Value, Name: m.Groups["name"].Value)).ToList();
        CollectionAssert.AreEqual(listed.Where(l => l.Kind == "FUNC").Select(l => l.Name).ToList(), names.Functions.ToList());
        CollectionAssert.AreEqual(listed.Where(l => l.Kind == "VAR").Select(l => l.Name).ToList(), names.Variables.ToList());
        Assert.IsTrue(names.Functions.Count > 1000, $"{names.Functions.Count} functions");
    }

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
