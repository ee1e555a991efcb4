using Kbuild.Elf;
using Kbuild.Table;

namespace Kbuild.Tests;

public static class KallsymsTableBytes
{
    /// <summary>
    /// The arrays as one .rodata-like blob starting at an aligned address (<paramref name="address"/>, where 7.x's
    /// PC-relative offsets are linked): each array at the next multiple of its alignment, zero padding between them
    /// (what the kernel's assembled .S holds, relocations applied).
    /// </summary>
    public static byte[] ToSectionBytes(this KallsymsTable table, out IReadOnlyDictionary<string, int> offsets, ulong address = 0)
    {
        var map = new Dictionary<string, int>();
        var size = 0;
        foreach (var a in table.Arrays)
        {
            size = (size + a.Alignment - 1) / a.Alignment * a.Alignment;
            map[a.SymbolName] = size;
            size += a.Size;
        }
        var blob = new byte[size];
        foreach (var a in table.Arrays)
            a.LinkedAt(address + (ulong)map[a.SymbolName], table.TextAddress, new ByteOrder(table.Target.IsLittleEndian)).CopyTo(blob, map[a.SymbolName]);
        offsets = map;
        return blob;
    }
}
