using System.Buffers.Binary;
using System.Numerics;

namespace Kbuild.Image;

/// <summary>
/// BLAKE3 (unkeyed, default mode), the hash ld.lld uses for --build-id=sha1|md5 (truncated to 20 or 16 bytes).
/// Only what the build ID needs: a whole buffer in, up to 32 bytes out.
/// </summary>
public static class Blake3
{
    private const int ChunkLength = 1024, BlockLength = 64;
    private const uint ChunkStart = 1, ChunkEnd = 2, Parent = 4, Root = 8;

    private static readonly uint[] IV =
        [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19];

    private static readonly int[] Permutation = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];

    /// <summary>The first <paramref name="length"/> (at most 32) bytes of the BLAKE3 hash of <paramref name="input"/>.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> input, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 32);
        var root = Node(input, 0);
        var words = Compress(root.ChainingValue, root.Block, 0, root.BlockLength, root.Flags | Root);
        var bytes = new byte[32];
        for (var i = 0; i < 8; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes[..length];
    }

    /// <summary>The inputs of a node's last compression, kept open so the root can add its flag.</summary>
    private sealed record Output(uint[] ChainingValue, uint[] Block, ulong Counter, uint BlockLength, uint Flags)
    {
        public uint[] Finish() => Compress(ChainingValue, Block, Counter, BlockLength, Flags)[..8];
    }

    private static Output Node(ReadOnlySpan<byte> input, ulong chunkCounter)
    {
        if (input.Length <= ChunkLength) return Chunk(input, chunkCounter);
        // The left subtree takes the largest power-of-two number of whole chunks that leaves the right one non-empty.
        var leftChunks = 1UL << (63 - BitOperations.LeadingZeroCount((ulong)(input.Length - 1) / ChunkLength));
        var leftLength = checked((int)leftChunks * ChunkLength);
        var left = Node(input[..leftLength], chunkCounter).Finish();
        var right = Node(input[leftLength..], chunkCounter + leftChunks).Finish();
        return new Output(IV, [.. left, .. right], 0, BlockLength, Parent);
    }

    private static Output Chunk(ReadOnlySpan<byte> chunk, ulong counter)
    {
        var cv = IV;
        var start = ChunkStart;
        while (chunk.Length > BlockLength)
        {
            cv = Compress(cv, Words(chunk[..BlockLength]), counter, BlockLength, start)[..8];
            chunk = chunk[BlockLength..];
            start = 0;
        }
        return new Output(cv, Words(chunk), counter, (uint)chunk.Length, start | ChunkEnd);
    }

    private static uint[] Words(ReadOnlySpan<byte> block)
    {
        Span<byte> padded = stackalloc byte[BlockLength];
        padded.Clear();
        block.CopyTo(padded);
        var words = new uint[16];
        for (var i = 0; i < 16; i++) words[i] = BinaryPrimitives.ReadUInt32LittleEndian(padded[(i * 4)..]);
        return words;
    }

    private static uint[] Compress(uint[] cv, uint[] block, ulong counter, uint blockLength, uint flags)
    {
        var s = new uint[16];
        cv.CopyTo(s, 0);
        IV.AsSpan(0, 4).CopyTo(s.AsSpan(8));
        s[12] = (uint)counter;
        s[13] = (uint)(counter >> 32);
        s[14] = blockLength;
        s[15] = flags;
        var m = (uint[])block.Clone();
        for (var round = 0; round < 7; round++)
        {
            G(s, 0, 4, 8, 12, m[0], m[1]);
            G(s, 1, 5, 9, 13, m[2], m[3]);
            G(s, 2, 6, 10, 14, m[4], m[5]);
            G(s, 3, 7, 11, 15, m[6], m[7]);
            G(s, 0, 5, 10, 15, m[8], m[9]);
            G(s, 1, 6, 11, 12, m[10], m[11]);
            G(s, 2, 7, 8, 13, m[12], m[13]);
            G(s, 3, 4, 9, 14, m[14], m[15]);
            var permuted = new uint[16];
            for (var i = 0; i < 16; i++) permuted[i] = m[Permutation[i]];
            m = permuted;
        }
        for (var i = 0; i < 8; i++)
        {
            s[i] ^= s[i + 8];
            s[i + 8] ^= cv[i];
        }
        return s;
    }

    private static void G(uint[] s, int a, int b, int c, int d, uint x, uint y)
    {
        s[a] = s[a] + s[b] + x;
        s[d] = BitOperations.RotateRight(s[d] ^ s[a], 16);
        s[c] = s[c] + s[d];
        s[b] = BitOperations.RotateRight(s[b] ^ s[c], 12);
        s[a] = s[a] + s[b] + y;
        s[d] = BitOperations.RotateRight(s[d] ^ s[a], 8);
        s[c] = s[c] + s[d];
        s[b] = BitOperations.RotateRight(s[b] ^ s[c], 7);
    }
}
