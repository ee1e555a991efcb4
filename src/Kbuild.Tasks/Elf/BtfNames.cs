namespace Kbuild.Elf;

/// <summary>A variable a BTF data section places: its name, offset in the ELF section and size.</summary>
public readonly record struct BtfPlacedVariable(string Name, uint Offset, uint Size);

/// <summary>A BTF_KIND_DATASEC: the ELF section it describes, the size it gives it, and the variables in it.</summary>
public sealed record BtfDataSection(string Name, uint Size, IReadOnlyList<BtfPlacedVariable> Variables);

/// <summary>
/// The names of the functions (BTF_KIND_FUNC) and variables (BTF_KIND_VAR) a .BTF section describes, and its data
/// sections (BTF_KIND_DATASEC: pahole's per-CPU variables), read as the kernel's include/uapi/linux/btf.h lays it out: a
/// header, then types (12 bytes each plus a kind-dependent tail), then strings. Every offset, count and type id is
/// checked against the section; a malformed section gives null.
/// </summary>
public sealed record BtfNames(IReadOnlyList<string> Functions, IReadOnlyList<string> Variables, IReadOnlyList<BtfDataSection> DataSections)
{
    private const ushort Magic = 0xEB9F;
    private const int KindFunc = 12, KindVar = 14, KindDataSection = 15;

    public static BtfNames? Read(ReadOnlySpan<byte> btf)
    {
        if (btf.Length < 24) return null;
        var order = new ByteOrder(btf[0] == 0x9F && btf[1] == 0xEB);
        if (order.U16(btf) != Magic) return null;
        var headerLength = order.U32(btf[4..]);
        var (typeOffset, typeLength) = (order.U32(btf[8..]), order.U32(btf[12..]));
        var (stringOffset, stringLength) = (order.U32(btf[16..]), order.U32(btf[20..]));
        if (!Fits(btf.Length, headerLength, typeOffset, typeLength) || !Fits(btf.Length, headerLength, stringOffset, stringLength))
            return null;
        var types = btf.Slice((int)(headerLength + typeOffset), (int)typeLength);
        var strings = btf.Slice((int)(headerLength + stringOffset), (int)stringLength);

        var functions = new List<string>();
        var variables = new List<string>();
        var variableIds = new Dictionary<uint, string>();
        var sections = new List<(string Name, uint Size, List<(uint Type, uint Offset, uint Size)> Entries)>();
        uint id = 0;
        for (var at = 0; at < types.Length;)
        {
            id++;  // type ids count from 1 (0 is void)
            if (types.Length - at < 12) return null;
            var nameOffset = order.U32(types[at..]);
            var info = order.U32(types[(at + 4)..]);
            var (kind, count) = ((int)(info >> 24) & 0x1F, (int)(info & 0xFFFF));
            if (TailLength(kind, count) is not { } tail || types.Length - at - 12 < tail) return null;
            if (kind is KindFunc or KindVar or KindDataSection)
            {
                if (Name(strings, nameOffset) is not { } name) return null;
                if (kind == KindFunc) functions.Add(name);
                else if (kind == KindVar) { variables.Add(name); variableIds[id] = name; }
                else
                {
                    var entries = new List<(uint, uint, uint)>(count);
                    for (var i = 0; i < count; i++)
                    {
                        var entry = types[(at + 12 + 12 * i)..];
                        entries.Add((order.U32(entry), order.U32(entry[4..]), order.U32(entry[8..])));
                    }
                    sections.Add((name, order.U32(types[(at + 8)..]), entries));
                }
            }
            at += 12 + tail;
        }
        var dataSections = new List<BtfDataSection>();
        foreach (var (name, size, entries) in sections)
        {
            var placed = new List<BtfPlacedVariable>(entries.Count);
            foreach (var (type, offset, length) in entries)
            {
                if (type == 0 || type > id) return null;
                // A DATASEC may also place a FUNC (a BPF object's extern); the kernel's place VARs.
                if (variableIds.TryGetValue(type, out var variable)) placed.Add(new BtfPlacedVariable(variable, offset, length));
            }
            dataSections.Add(new BtfDataSection(name, size, placed));
        }
        return new BtfNames(functions, variables, dataSections);
    }

    private static bool Fits(int total, uint header, uint offset, uint length) => (ulong)header + offset + length <= (ulong)total;

    /// <summary>The bytes after a type's 12-byte header, by kind (btf.h); null for a kind this reader does not know.</summary>
    private static int? TailLength(int kind, int count) => kind switch
    {
        1 => 4,                                    // INT: encoding, offset, bits
        2 or 7 or 8 or 9 or 10 or 11 or 12 or 16 or 18 => 0, // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
        3 => 12,                                   // ARRAY
        4 or 5 => 12 * count,                      // STRUCT, UNION: members
        6 => 8 * count,                            // ENUM
        13 => 8 * count,                           // FUNC_PROTO: parameters
        14 => 4,                                   // VAR: linkage
        15 => 12 * count,                          // DATASEC: variables
        17 => 4,                                   // DECL_TAG: component index
        19 => 12 * count,                          // ENUM64
        _ => null,
    };

    private static string? Name(ReadOnlySpan<byte> strings, uint offset)
    {
        if (offset >= strings.Length) return null;
        var rest = strings[(int)offset..];
        var end = rest.IndexOf((byte)0);
        return end < 0 ? null : System.Text.Encoding.UTF8.GetString(rest[..end]);
    }
}
