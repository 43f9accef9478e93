using System.IO.Compression;
using System.Net;
using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;
using Google.Protobuf;

namespace Cluster.Rpc.Tests;

/// <summary>Requests our client would never send, made by hand over HttpClient.</summary>
public sealed class RawProtocolTests
{
    private static ServerServiceDefinition EchoService() => ServerServiceDefinition.CreateBuilder()
        .AddMethod(EchoMethods.Unary, (EchoMessage request, ServerCallContext _) => Task.FromResult(request))
        .Build();

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static async Task<HttpResponseMessage> SendAsync(TestServer server, HttpRequestMessage request)
    {
        using var client = RawGrpc.CreateClient();
        var response = await client.SendAsync(request).WaitBounded();
        await response.Content.LoadIntoBufferAsync().WaitBounded();
        return response;
    }

    [Fact]
    public async Task Unary_WrongContentType_Http415()
    {
        await using var server = await TestServer.StartAsync(EchoService());

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", [], "application/json"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Unary_GrpcProtoContentType_Accepted()
    {
        await using var server = await TestServer.StartAsync(EchoService());

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", RawGrpc.Frame(0, []), "application/grpc+proto"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0", RawGrpc.StatusOf(response));
    }

    [Fact]
    public async Task Unary_TruncatedFrame_Internal()
    {
        await using var server = await TestServer.StartAsync(EchoService());
        var body = RawGrpc.Frame(0, [1, 2, 3], declaredLength: 10);

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", body));

        Assert.Equal("13", RawGrpc.StatusOf(response));
    }

    [Fact]
    public async Task Unary_TruncatedHeader_Internal()
    {
        await using var server = await TestServer.StartAsync(EchoService());

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", [0, 0, 0]));

        Assert.Equal("13", RawGrpc.StatusOf(response));
    }

    [Fact]
    public async Task Unary_InvalidCompressedFlag_Internal()
    {
        await using var server = await TestServer.StartAsync(EchoService());

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", RawGrpc.Frame(2, [])));

        Assert.Equal("13", RawGrpc.StatusOf(response));
    }

    [Fact]
    public async Task Unary_CompressedFlagWithoutEncoding_Internal()
    {
        await using var server = await TestServer.StartAsync(EchoService());

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", RawGrpc.Frame(1, Gzip([]))));

        Assert.Equal("13", RawGrpc.StatusOf(response));
    }

    [Fact]
    public async Task Unary_UnknownEncoding_UnimplementedAndAdvertisesGzip()
    {
        await using var server = await TestServer.StartAsync(EchoService());

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", RawGrpc.Frame(1, [1]), ("grpc-encoding", "br")));

        Assert.Equal("12", RawGrpc.StatusOf(response));
        Assert.Contains("gzip", response.Headers.GetValues("grpc-accept-encoding").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unary_GzipCompressedRequest_DecodedAndEchoed()
    {
        await using var server = await TestServer.StartAsync(EchoService());
        var message = new EchoMessage { Text = "compressed", Payload = ByteString.CopyFrom(new byte[3000]) };
        var body = RawGrpc.Frame(1, Gzip(message.ToByteArray()));

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", body, ("grpc-encoding", "gzip")));
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal("0", RawGrpc.StatusOf(response));
        Assert.Equal(0, bytes[0]);
        Assert.Equal(message, EchoMessage.Parser.ParseFrom(bytes.AsSpan(5)));
    }

    [Fact]
    public async Task Unary_ResponseCompressionEnabled_FramesAreGzipAndOurClientDecodesThem()
    {
        await using var server = await TestServer.StartAsync(EchoService(), o => o.ResponseCompression = true);
        var message = new EchoMessage { Text = new string('z', 5000) };

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", RawGrpc.Frame(0, message.ToByteArray()), ("grpc-accept-encoding", "identity,gzip")));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        using var channel = server.CreateChannel();
        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, message);
        var decoded = await call.ResponseAsync.WaitBounded();

        Assert.Equal("gzip", response.Headers.GetValues("grpc-encoding").Single());
        Assert.Equal(1, bytes[0]);
        Assert.True(bytes.Length < 1000, $"compressed frame is {bytes.Length} bytes");
        Assert.Equal(message, decoded);
    }

    [Fact]
    public async Task Unary_TwoRequestMessages_Internal()
    {
        await using var server = await TestServer.StartAsync(EchoService());
        var body = RawGrpc.Frame(0, []).Concat(RawGrpc.Frame(0, [])).ToArray();

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", body));

        Assert.Equal("13", RawGrpc.StatusOf(response));
    }

    [Fact]
    public async Task Unary_MalformedTimeout_Internal()
    {
        await using var server = await TestServer.StartAsync(EchoService());

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", RawGrpc.Frame(0, []), ("grpc-timeout", "10x")));

        Assert.Equal("13", RawGrpc.StatusOf(response));
    }

    [Fact]
    public async Task UnknownPath_NonGrpcContentType_Http404()
    {
        await using var server = await TestServer.StartAsync(EchoService());

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/some/page", [], "text/plain"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Unary_ErrorMessage_PercentEncodedOnTheWire()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, (EchoMessage _, ServerCallContext _) => throw new RpcException(new Status(StatusCode.NotFound, "ü 50%")))
            .Build();
        await using var server = await TestServer.StartAsync(service);

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", RawGrpc.Frame(0, [])));

        Assert.Equal("5", RawGrpc.StatusOf(response));
        Assert.Equal("%C3%BC 50%25", RawGrpc.MessageOf(response));
        Assert.Equal("5", response.Headers.GetValues("grpc-status").Single()); // Trailers-Only: status in the headers
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Unary_PayloadTheMarshallerRejects_InvalidArgument()
    {
        await using var server = await TestServer.StartAsync(EchoService());

        using var response = await SendAsync(server, RawGrpc.Request(server.Address, "/interop.Echo/Unary", RawGrpc.Frame(0, [0xFF, 0xFF, 0xFF])));

        // A request that does not parse is the client's fault (the client side reports an unparsable response as INTERNAL).
        Assert.Equal("3", RawGrpc.StatusOf(response));
        Assert.StartsWith("The request message cannot be parsed", Uri.UnescapeDataString(RawGrpc.MessageOf(response)!), StringComparison.Ordinal);
    }
}
