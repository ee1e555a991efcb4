using System.Text;
using Kbuild.Table;

namespace Kbuild.Tests.Table;

/// <summary>
/// The token compression on its own (the parity tests see it only inside whole tables): it is lossless — every name is its
/// tokens expanded, the type letter included — it compresses, a byte no name uses becomes a token, and the same
/// multiset of names in another order gives the same tokens.
/// </summary>
[TestClass]
public sealed class KallsymsCompressorTests
{
    private static byte[][] Symbols(int seed, int count)
    {
        var random = new Random(seed);
        string[] words = ["init", "exit", "kmalloc", "spin_lock", "irq", "__x64_sys_", "_entry", "pci_", "bus", "read", "write", "probe"];
        return Enumerable.Range(0, count).Select(i =>
            Encoding.Latin1.GetBytes("Tt"[random.Next(2)] + string.Concat(Enumerable.Range(0, 1 + random.Next(4)).Select(_ => words[random.Next(words.Length)])) + i % 7))
            .ToArray();
    }

    private static KallsymsCompressor Compressed(byte[][] symbols)
    {
        var compressor = new KallsymsCompressor(symbols);
        compressor.Optimize();
        return compressor;
    }

    [TestMethod]
    public void EveryNameIsItsTokensExpanded()
    {
        var symbols = Symbols(seed: 3, count: 2000);
        var compressor = Compressed(symbols);
        var tokens = compressor.ExpandedTokens();
        Assert.AreEqual(256, tokens.Length);
        for (var i = 0; i < symbols.Length; i++)
        {
            var expanded = compressor.Compressed(i).ToArray().SelectMany(code => tokens[code]).ToArray();
            CollectionAssert.AreEqual(symbols[i], expanded, $"symbol {i}");
        }
        Assert.IsLessThan(symbols.Sum(s => s.Length) / 2, Enumerable.Range(0, symbols.Length).Sum(i => compressor.Compressed(i).Length),
            "repeated words compress to less than half");
    }

    [TestMethod]
    public void ACodeNoNameUsesBecomesAPair_ARealCharacterStaysItself()
    {
        var symbols = Symbols(seed: 5, count: 500);
        var used = symbols.SelectMany(s => s).ToHashSet();
        var tokens = Compressed(symbols).ExpandedTokens();
        for (var code = 0; code < 256; code++)
            if (used.Contains((byte)code)) CollectionAssert.AreEqual(new[] { (byte)code }, tokens[code], $"code {code} is a character of a name");
            else Assert.IsGreaterThanOrEqualTo(2, tokens[code].Length, $"code {code}, unused by any name, is a token of several characters");
    }

    [TestMethod]
    public void TheTokensFollowTheMultisetNotTheOrder()
    {
        var symbols = Symbols(seed: 7, count: 800);
        var reversed = symbols.Reverse().ToArray();
        var a = Compressed(symbols).ExpandedTokens();
        var b = Compressed(reversed).ExpandedTokens();
        for (var code = 0; code < 256; code++) CollectionAssert.AreEqual(a[code], b[code], $"token {code}");
    }
}
