using System.Text;

namespace Kbuild.Tests;

/// <summary>Builds System.map text shaped like a kernel's, with the corner cases scripts/kallsyms handles.</summary>
internal sealed class SyntheticMap
{
    private static readonly string[] Words =
    [
        "do", "sys", "init", "irq", "lock", "unlock", "page", "alloc", "free", "mm", "vfs", "read", "write",
        "sched", "task", "rcu", "net", "dev", "pci", "acpi", "timer", "work", "queue", "get", "put", "ref",
        "x86", "cpu", "set", "clear", "bit", "map", "unmap", "file", "inode", "dentry", "kmem", "cache",
    ];

    /// <summary>Around the one/two-byte length switch and KSYM_NAME_LEN (512).</summary>
    private static readonly int[] LongNameLengths = [126, 127, 128, 129, 200, 255, 256, 300, 400, 500, 510, 511, 512, 513, 600];

    private readonly StringBuilder _text = new();
    private readonly Random _random;

    public SyntheticMap(int seed) => _random = new Random(seed);

    public int Count { get; private set; }

    public SyntheticMap Add(ulong address, char type, string name)
    {
        _text.Append($"{address:x16} {type} {name}\n");
        Count++;
        return this;
    }

    public string RandomName(int minParts = 2, int maxParts = 4)
    {
        var parts = Enumerable.Range(0, _random.Next(minParts, maxParts + 1)).Select(_ => Words[_random.Next(Words.Length)]);
        var name = string.Join('_', parts);
        return _random.Next(5) switch { 0 => "__" + name, 1 => name + _random.Next(100), _ => name };
    }

    public string Write(string dir, string fileName = "System.map")
    {
        var path = Path.Combine(dir, fileName);
        File.WriteAllText(path, _text.ToString());
        return path;
    }

    public override string ToString() => _text.ToString();

    /// <summary>
    /// A 64-bit kernel-like map: text and init text ranges with weak and linker-provided names sharing
    /// addresses, symbols at _etext, data outside text, section bounds, kallsyms_* names, absolute, undefined
    /// and debugging symbols, ignored prefixes, and optionally a zero-based per-cpu area and ".llvm." names.
    /// </summary>
    public static SyntheticMap Kernel(int seed, int functions, bool percpu = false, bool llvm = false,
        ulong text = 0xffffffff81000000, int longNames = 0)
    {
        var map = new SyntheticMap(seed);
        var r = map._random;
        if (percpu)
        {
            map.Add(0, 'D', "__per_cpu_start");
            for (var i = 0; i < 40; i++) map.Add(0x40 + (ulong)i * 0x40, i % 3 == 0 ? 'd' : 'D', "pcpu_" + map.RandomName());
            map.Add(0x2000, 'D', "__per_cpu_end");
        }
        map.Add(0x1000000, 'A', "phys_startup_64");
        map.Add(0x2a, 'a', "local_abs");
        map.Add(text + 0x8000, 'A', "__gp");
        map.Add(text, 'T', "_text").Add(text, 'T', "_stext").Add(text, 'T', "startup_64");
        var address = text + 0x40;
        for (var i = 0; i < functions; i++)
        {
            var type = r.Next(10) switch { 0 => 'T', 1 => 'W', < 6 => 't', _ => 'T' };
            var name = map.RandomName();
            if (llvm && r.Next(8) == 0) name += $".llvm.{r.Next(1000000)}";
            map.Add(address, type, name);
            switch (r.Next(40))
            {
                case 0: map.Add(address, 'W', map.RandomName()); break;
                case 1: map.Add(address, 'T', "__start_" + map.RandomName(1, 2)); break;
                case 2: map.Add(address, 't', "_" + name); break;
                case 3: map.Add(address, 'T', "__" + map.RandomName(1, 2) + "_end"); break;
                case 4: map.Add(address, 'T', "__kcfi_typeid_" + name); break;
                case 5: map.Add(address, 'U', "undef_" + name); break;
                case 6: map.Add(address, 'N', "debug_" + name); break;
            }
            if (llvm && r.Next(30) == 0) map.Add(address + 4, 't', name.Split(".llvm.")[0] + ".llvm.7");
            if (i < longNames)
                map.Add(address + 8, 'T', string.Concat(Enumerable.Repeat(map.RandomName(), 120))[..LongNameLengths[i % LongNameLengths.Length]]);
            address += (ulong)(16 * r.Next(1, 20));
        }
        map.Add(address, 'T', "_etext").Add(address, 't', "after_etext_same_address").Add(address, 'T', "__etext_alias_end");
        address += 0x1000;
        map.Add(address, 'R', "__start_rodata").Add(address + 0x10, 'r', "some_rodata");
        map.Add(address + 0x20, 'R', "kallsyms_names").Add(address + 0x28, 'R', "kallsyms_num_syms");
        map.Add(address + 0x30, 'D', "__start___ksymtab").Add(address + 0x80, 'D', "__stop___ksymtab");
        map.Add(address + 0x100, 'D', "init_task").Add(address + 0x180, 'd', "static_data");
        address += 0x10000;
        map.Add(address, 'T', "_sinittext");
        for (var i = 0; i < functions / 20 + 1; i++) map.Add(address += 0x20, 't', "init_" + map.RandomName());
        map.Add(address, 'T', "_einittext").Add(address, 't', "at_einittext");
        map.Add(address + 0x100, 'B', "__bss_start").Add(address + 0x200, 'b', "bss_var").Add(address + 0x1000, 'B', "_end");
        return map;
    }
}
