using Cluster.Rpc.Client.Http2;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Tests.Http2;

/// <summary>The HPACK codec of the direct HTTP/2 transport against RFC 7541 Appendix C.</summary>
public sealed class HpackTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty));

    [Theory]
    [InlineData(10, 5, "0a")]          // C.1.1
    [InlineData(1337, 5, "1f9a0a")]    // C.1.2
    [InlineData(42, 8, "2a")]          // C.1.3
    public void Integer_RfcExamples_EncodeAndDecode(int value, int prefix, string hex)
    {
        using var output = new PooledBufferWriter();
        HpackEncoder.WriteInteger(output, value, prefix);
        Assert.Equal(hex, Convert.ToHexStringLower(output.WrittenSpan));

        var position = 0;
        Assert.Equal(value, HpackDecoder.ReadInteger(Hex(hex), ref position, prefix));
        Assert.Equal(hex.Length / 2, position);
    }

    [Fact]
    public void Decode_LiteralWithIndexing_AddsToDynamicTable()
    {
        // C.2.1: custom-key: custom-header, table size 55 afterwards.
        var decoder = new HpackDecoder();
        var fields = decoder.Decode(Hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
        Assert.Equal([("custom-key", "custom-header")], fields);
        Assert.Equal(55, decoder.DynamicTableSize);
    }

    [Fact]
    public void Decode_HuffmanRequest_C41()
    {
        var fields = new HpackDecoder().Decode(Hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"));
        Assert.Equal([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")], fields);
    }

    public static TheoryData<bool> HuffmanOrNot => [false, true];

    [Theory]
    [MemberData(nameof(HuffmanOrNot))]
    public void Decode_ResponsesWithEviction_C5AndC6(bool huffman)
    {
        var decoder = new HpackDecoder(maxTableSize: 256);
        string[] blocks = huffman
            ?
            [
                "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
                "4883 640e ffc1 c0bf",
                "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
            ]
            :
            [
                "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "4803 3330 37c1 c0bf",
                "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
            ];

        var first = decoder.Decode(Hex(blocks[0]));
        Assert.Equal(
            [(":status", "302"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")],
            first);
        Assert.Equal(222, decoder.DynamicTableSize);

        var second = decoder.Decode(Hex(blocks[1]));
        Assert.Equal(
            [(":status", "307"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")],
            second);
        Assert.Equal(222, decoder.DynamicTableSize);
        Assert.Equal((":status", "307"), decoder.DynamicTable.First());

        var third = decoder.Decode(Hex(blocks[2]));
        Assert.Equal(
            [
                (":status", "200"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT"), ("location", "https://www.example.com"),
                ("content-encoding", "gzip"), ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
            ],
            third);
        Assert.Equal(215, decoder.DynamicTableSize);
        Assert.Equal(
            [("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"), ("content-encoding", "gzip"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT")],
            decoder.DynamicTable);
    }

    [Fact]
    public void Huffman_Encode_MatchesC41AndRoundTrips()
    {
        Assert.Equal(Hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"), HpackHuffman.Encode("www.example.com"u8));
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        Assert.Equal(all, HpackHuffman.Decode(HpackHuffman.Encode(all)));
    }

    [Theory]
    [InlineData("ff")]                // 8 bits of padding: more than 7
    [InlineData("fe")]                // 8 bits that end no symbol (the prefix of 10-bit codes)
    [InlineData("18")]                // 'a' then 000: padding that is not the EOS prefix
    [InlineData("ffff ffff")]         // 30 ones = EOS
    public void Huffman_BadPaddingOrEos_Throws(string hex) =>
        Assert.Throws<HpackException>(() => HpackHuffman.Decode(Hex(hex)));

    [Theory]
    [InlineData("80")]               // index 0
    [InlineData("be")]               // index 62 with an empty dynamic table
    [InlineData("3fe21f")]           // table size update to 4096 + 30 + ... beyond the limit
    [InlineData("0085 f2b2")]        // a literal name of 5 octets with only 2 present
    [InlineData("82 20")]            // a size update after a field
    public void Decode_MalformedBlocks_Throw(string hex) =>
        Assert.Throws<HpackException>(() => new HpackDecoder().Decode(Hex(hex)));

    [Fact]
    public void Encoder_LiteralsWithoutIndexing_DecodeBackAndLeaveNoTable()
    {
        using var block = new PooledBufferWriter();
        HpackEncoder.WriteLiteral(block, ":path", "/cluster.v1.KvTransfer/Push");
        HpackEncoder.WriteLiteral(block, "authorization", "Bearer " + new string('t', 200)); // length needs a multi-octet integer
        var decoder = new HpackDecoder();
        var fields = decoder.Decode(block.WrittenSpan);
        Assert.Equal([(":path", "/cluster.v1.KvTransfer/Push"), ("authorization", "Bearer " + new string('t', 200))], fields);
        Assert.Equal(0, decoder.DynamicTableSize);
        Assert.Equal(0x00, block.WrittenSpan[0]);
        Assert.Throws<ArgumentException>(() => HpackEncoder.WriteLiteral(block, "x", "caf\u00e9\u20ac"));
    }
}
