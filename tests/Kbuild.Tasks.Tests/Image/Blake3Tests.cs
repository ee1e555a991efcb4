namespace Kbuild.Tests.Image;

/// <summary>
/// The BLAKE3 ld.lld computes its sha1 and md5 build IDs with (BuildIdTests see it only through lld's images), against
/// an independent implementation (the Blake3 package) across the chunk and block boundaries, and BLAKE3's own vector.
/// </summary>
[TestClass]
public sealed class Blake3Tests
{
    [TestMethod]
    public void TheEmptyInputIsBlake3sVector() =>
        Assert.AreEqual("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
            Convert.ToHexStringLower(Kbuild.Image.Blake3.Hash([], 32)));

    [TestMethod]
    public void EveryLengthAcrossChunksIsTheReferences()
    {
        var input = Enumerable.Range(0, 9 * 1024 + 77).Select(i => (byte)(i % 251)).ToArray();
        foreach (var length in new[] { 1, 63, 64, 65, 1023, 1024, 1025, 2048, 2049, 3072, 4096, 5121, 8192, 9 * 1024 + 77 })
        {
            var reference = global::Blake3.Hasher.Hash(input.AsSpan(0, length)).ToString();
            Assert.AreEqual(reference, Convert.ToHexStringLower(Kbuild.Image.Blake3.Hash(input.AsSpan(0, length), 32)), $"{length} bytes");
            Assert.AreEqual(reference[..40], Convert.ToHexStringLower(Kbuild.Image.Blake3.Hash(input.AsSpan(0, length), 20)), "a sha1-sized ID is its prefix");
        }
    }
}
