using System.Buffers.Binary;

namespace Kbuild.Elf;

/// <summary>Integers in a file's byte order (an ELF's EI_DATA): the one reader and writer of them.</summary>
public readonly record struct ByteOrder(bool IsLittleEndian)
{
    public ushort U16(ReadOnlySpan<byte> b) => IsLittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);
    public uint U32(ReadOnlySpan<byte> b) => IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
    public ulong U64(ReadOnlySpan<byte> b) => IsLittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b);

    /// <summary>A pointer-sized field: 8 bytes when <paramref name="wide"/>, else 4.</summary>
    public ulong Pointer(ReadOnlySpan<byte> b, bool wide) => wide ? U64(b) : U32(b);

    public void WriteU16(Span<byte> b, ushort value)
    {
        if (IsLittleEndian) BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        else BinaryPrimitives.WriteUInt16BigEndian(b, value);
    }

    public void WriteU32(Span<byte> b, uint value)
    {
        if (IsLittleEndian) BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        else BinaryPrimitives.WriteUInt32BigEndian(b, value);
    }

    public void WriteU64(Span<byte> b, ulong value)
    {
        if (IsLittleEndian) BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        else BinaryPrimitives.WriteUInt64BigEndian(b, value);
    }

    /// <summary>A pointer-sized field, truncated to 4 bytes unless <paramref name="wide"/>.</summary>
    public void WritePointer(Span<byte> b, ulong value, bool wide)
    {
        if (wide) WriteU64(b, value);
        else WriteU32(b, unchecked((uint)value));
    }
}
