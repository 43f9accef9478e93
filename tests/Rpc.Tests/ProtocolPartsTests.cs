using System.Text;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Tests;

public sealed class ProtocolPartsTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("3S", 30_000_000L)]
    [InlineData("250m", 2_500_000L)]
    [InlineData("7u", 70L)]
    [InlineData("150n", 2L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    public void GrpcTimeoutTryParse_EveryUnit_GivesTicks(string header, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(header, out var timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10x")]
    [InlineData("-1S")]
    [InlineData("123456789S")]
    public void GrpcTimeoutTryParse_Malformed_ReturnsFalse(string header) =>
        Assert.False(GrpcTimeout.TryParse(header, out _));

    [Fact]
    public void GrpcTimeoutFormat_ValuesAcrossUnits_RoundUpAndFitEightDigits()
    {
        Assert.Equal("1500m", GrpcTimeout.Format(TimeSpan.FromMilliseconds(1500)));
        Assert.Equal("1m", GrpcTimeout.Format(TimeSpan.FromTicks(1)));
        Assert.Equal("100000S", GrpcTimeout.Format(TimeSpan.FromSeconds(100_000)));
        Assert.True(GrpcTimeout.TryParse(GrpcTimeout.Format(TimeSpan.FromDays(5000)), out var big));
        Assert.True(big >= TimeSpan.FromDays(5000));
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("50%", "50%25")]
    [InlineData("ü\n", "%C3%BC%0A")]
    public void PercentEncoding_EncodeAndDecode_RoundTrip(string value, string wire)
    {
        Assert.Equal(wire, PercentEncoding.Encode(value));
        Assert.Equal(value, PercentEncoding.Decode(wire));
    }

    [Fact]
    public void PercentEncodingDecode_InvalidEscape_KeptLiterally() =>
        Assert.Equal("100%zz%", PercentEncoding.Decode("100%zz%"));

    [Fact]
    public void MetadataAdd_UpperCaseKey_StoredLowerCase()
    {
        var metadata = new Metadata { { "X-Trace", "abc" } };
        Assert.Equal("x-trace", metadata[0].Key);
        Assert.Equal("abc", metadata.GetValue("X-TRACE"));
    }

    [Theory]
    [InlineData("bad key")]
    [InlineData("ключ")]
    [InlineData("grpc-timeout")]
    [InlineData("")]
    public void MetadataAdd_InvalidOrReservedKey_Throws(string key) =>
        Assert.ThrowsAny<ArgumentException>(() => new Metadata { { key, "v" } });

    [Fact]
    public void MetadataAdd_BinaryKeyWithStringOrPlainKeyWithBytes_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Metadata { { "a-bin", "text" } });
        Assert.Throws<ArgumentException>(() => new Metadata { { "a", new byte[] { 1 } } });
        Assert.Throws<ArgumentException>(() => new Metadata { { "a", "line\nbreak" } });
    }

    [Fact]
    public void MetadataCodecAddHeader_UnpaddedAndCommaJoinedBase64_DecodesEach()
    {
        var metadata = new Metadata();
        MetadataCodec.AddHeader(metadata, "x-bin", ["AQI", "AwQF,Bg=="]);

        Assert.Equal(3, metadata.Count);
        Assert.Equal(new byte[] { 1, 2 }, metadata[0].ValueBytes);
        Assert.Equal(new byte[] { 3, 4, 5 }, metadata[1].ValueBytes);
        Assert.Equal(new byte[] { 6 }, metadata[2].ValueBytes);
    }

    [Fact]
    public void MetadataCodecAddHeader_ReservedHeaders_Skipped()
    {
        var metadata = new Metadata();
        foreach (var key in new[] { ":path", "content-type", "te", "grpc-timeout", "grpc-encoding", "grpc-status" })
        {
            MetadataCodec.AddHeader(metadata, key, ["x"]);
        }

        MetadataCodec.AddHeader(metadata, "grpc-status-details-bin", [Convert.ToBase64String(Encoding.UTF8.GetBytes("d"))]);
        Assert.Equal("grpc-status-details-bin", Assert.Single(metadata).Key);
    }

    [Fact]
    public void MethodFullName_ServiceAndName_SlashSeparated()
    {
        var method = new Method<byte[], byte[]>(MethodType.Unary, "cluster.v1.Inference", "Complete", Marshallers.ByteArrayMarshaller, Marshallers.ByteArrayMarshaller);
        Assert.Equal("/cluster.v1.Inference/Complete", method.FullName);
    }

    [Fact]
    public void ServerServiceDefinitionAddMethod_HandlerOfWrongKindOrDuplicate_Throws()
    {
        var unary = new Method<byte[], byte[]>(MethodType.Unary, "s.S", "M", Marshallers.ByteArrayMarshaller, Marshallers.ByteArrayMarshaller);
        var builder = ServerServiceDefinition.CreateBuilder();

        Assert.Throws<ArgumentException>(() => builder.AddMethod(unary, (IAsyncStreamReader<byte[]> _, ServerCallContext _) => Task.FromResult(Array.Empty<byte>())));
        builder.AddMethod(unary, (byte[] r, ServerCallContext _) => Task.FromResult(r));
        Assert.Throws<ArgumentException>(() => builder.AddMethod(unary, (byte[] r, ServerCallContext _) => Task.FromResult(r)));
    }

    [Fact]
    public void ConfigureRpcHttp2_Defaults_RaiseWindowsAndFrameSize()
    {
        var options = new Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions();

        options.ConfigureRpcHttp2();

        Assert.Equal(16 * 1024 * 1024, options.Limits.Http2.InitialStreamWindowSize);
        Assert.Equal(64 * 1024 * 1024, options.Limits.Http2.InitialConnectionWindowSize);
        Assert.Equal(1024 * 1024, options.Limits.Http2.MaxFrameSize);
    }
}
