using System.Runtime.InteropServices;
using System.Text;
using Cluster.Core.Hashing;

namespace Cluster.Core.Tests.Hashing;

public sealed partial class XxHash64Tests
{
    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0x44BC2CF5AD770999UL)]
    public void Hash_PublishedVectors_Match(string text, ulong expected)
        => Assert.Equal(expected, XxHash64.Hash(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Hash_GoldenVectorsFromReferenceLibrary_Match()
    {
        foreach (var c in GoldenVectors.Load().Xxh64)
        {
            Assert.Equal(c.Xxh64, XxHash64.Hash(Convert.FromHexString(c.Hex)).ToString("x16"));
        }
    }

    [Fact]
    public void Hash_RandomInputsAndSeeds_EqualsReferenceCLibrary()
    {
        var random = new Random(7);
        for (var length = 0; length < 600; length += 1 + (length / 16))
        {
            var data = new byte[length];
            random.NextBytes(data);
            var seed = (ulong)random.NextInt64();
            Assert.Equal(ReferenceXxh64(data, seed), XxHash64.Hash(data, seed));
        }
    }

    private static ulong ReferenceXxh64(byte[] data, ulong seed)
    {
        try
        {
            return NativeXxh64(data, (nuint)data.Length, seed);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException("The reference xxHash library is missing: apt-get install libxxhash0.", e);
        }
    }

    [LibraryImport("libxxhash.so.0", EntryPoint = "XXH64")]
    private static partial ulong NativeXxh64(byte[] data, nuint length, ulong seed);
}
