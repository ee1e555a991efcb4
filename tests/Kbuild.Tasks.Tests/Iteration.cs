using System.Text;

namespace Kbuild.Tests;

/// <summary>
/// One fuzz input: a seeded random source and the mutations made with it (named in a failure, to replay), for bytes
/// (bit flips, random bytes, header fields set to boundary values, truncation, duplicated ranges, ar header
/// characters) and for text (deletions, insertions and replacements from an alphabet, truncation).
/// </summary>
internal sealed class Iteration(int seed, string dir)
{
    public Random Random { get; } = new(seed);
    public List<string> Mutations { get; } = [];

    public string WriteMutated(byte[] input, string? directory = null)
    {
        var path = Path.Combine(directory ?? dir, $"fuzz-{seed}.bin");
        File.WriteAllBytes(path, Mutate(input));
        return path;
    }

    private static readonly ulong[] Interesting = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, ulong.MaxValue, 0x7fffffffffffffff];

    public byte[] Mutate(byte[] input)
    {
        var bytes = input.ToList();
        for (var n = 1 + Random.Next(4); n > 0 && bytes.Count > 8; n--)
        {
            var at = Random.Next(bytes.Count);
            switch (Random.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << Random.Next(8));
                    Mutations.Add($"flip@{at}");
                    break;
                case 1:
                    bytes[at] = (byte)Random.Next(256);
                    Mutations.Add($"byte@{at}");
                    break;
                case 2:
                {
                    // A header field (offset, size, count) set to a boundary value; ELF and ar fields are 2, 4 or 8 bytes.
                    var width = new[] { 2, 4, 8 }[Random.Next(3)];
                    var value = Interesting[Random.Next(Interesting.Length)];
                    var field = at & ~(width - 1);
                    for (var i = 0; i < width && field + i < bytes.Count; i++) bytes[field + i] = (byte)(value >> (8 * i));
                    Mutations.Add($"field{width}@{field}={value:x}");
                    break;
                }
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    Mutations.Add($"truncate@{at}");
                    break;
                case 4:
                {
                    var length = Math.Min(Random.Next(1, 64), bytes.Count - at);
                    bytes.InsertRange(Random.Next(bytes.Count), bytes.GetRange(at, length));
                    Mutations.Add($"duplicate@{at}+{length}");
                    break;
                }
                default:
                {
                    // ar headers are text: a digit or a space in a name or size field.
                    const string headerText = "0123456789 /`\n#";
                    bytes[at] = (byte)headerText[Random.Next(headerText.Length)];
                    Mutations.Add($"text@{at}");
                    break;
                }
            }
        }
        return [.. bytes];
    }

    public string MutateText(string input, string alphabet)
    {
        var text = new StringBuilder(input);
        for (var n = 1 + Random.Next(6); n > 0 && text.Length > 0; n--)
        {
            var at = Random.Next(text.Length);
            switch (Random.Next(4))
            {
                case 0:
                    text.Remove(at, Math.Min(Random.Next(1, 16), text.Length - at));
                    Mutations.Add($"delete@{at}");
                    break;
                case 1:
                    text.Insert(at, alphabet[Random.Next(alphabet.Length)]);
                    Mutations.Add($"insert@{at}");
                    break;
                case 2:
                    text[at] = alphabet[Random.Next(alphabet.Length)];
                    Mutations.Add($"replace@{at}");
                    break;
                default:
                    text.Length = at;
                    Mutations.Add($"truncate@{at}");
                    break;
            }
        }
        return text.ToString();
    }
}
