using System.Text.Json;

namespace Cluster.Hosting.Tests.Interop;

/// <summary>The real @grpc/grpc-js client (tests/interop/client.js) against a Grpc.AspNetCore server.</summary>
public sealed class GrpcJsClientTests(OurServerFixture fixture) : IClassFixture<OurServerFixture>
{
    private async Task<JsonElement> RunAsync(string scenario)
    {
        var output = await NodeProcess.RunAsync("client.js", fixture.HostPort, scenario);
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
    }

    [Fact]
    public async Task GrpcJsUnary_WithMetadata_EchoedWithHeadersAndTrailers()
    {
        var result = await RunAsync("unary");

        Assert.Equal(0, result.GetProperty("code").GetInt32());
        Assert.Equal("echo:hi", result.GetProperty("text").GetString());
        Assert.Equal(10, result.GetProperty("payloadLength").GetInt32());
        Assert.Equal("from-node", result.GetProperty("headers").GetProperty("x-echo").GetString());
        Assert.Equal(Convert.ToBase64String(new byte[] { 0, 1, 2, 254 }), result.GetProperty("headers").GetProperty("x-echo-bin").GetString());
        Assert.Equal("done", result.GetProperty("trailers").GetProperty("x-trailer").GetString());
    }

    [Fact]
    public async Task GrpcJsUnary_HandlerError_CodeDetailsAndStatusDetailsBin()
    {
        var result = await RunAsync("unary-error");

        Assert.Equal(3, result.GetProperty("code").GetInt32());
        Assert.Equal("interop error ü 100%", result.GetProperty("details").GetString());
        Assert.Equal(Convert.ToBase64String(InteropEchoService.Details), result.GetProperty("trailers").GetProperty("grpc-status-details-bin").GetString());
        Assert.Equal("yes", result.GetProperty("trailers").GetProperty("x-error").GetString());
    }

    [Fact]
    public async Task GrpcJsUnary_FiveMebibytePayloadWithRaisedLimits_RoundTrips()
    {
        var result = await RunAsync("big");

        Assert.Equal(0, result.GetProperty("code").GetInt32());
        Assert.Equal(5 * 1024 * 1024, result.GetProperty("payloadLength").GetInt32());
        var expectedSum = 0;
        for (var i = 0; i < 5 * 1024 * 1024; i++)
        {
            expectedSum = (expectedSum + ((i * 31) & 0xff)) % 65536;
        }

        Assert.Equal(expectedSum, result.GetProperty("payloadSum").GetInt32());
    }

    [Fact]
    public async Task GrpcJsUnary_GzipCompressedRequest_Accepted()
    {
        var result = await RunAsync("gzip");

        Assert.Equal(0, result.GetProperty("code").GetInt32());
        Assert.Equal("echo:" + new string('z', 4000), result.GetProperty("text").GetString());
        Assert.Equal("gzip", fixture.Service.LastUnaryEncoding);
    }

    [Fact]
    public async Task GrpcJsUnary_DeadlineExpires_DeadlineExceededAndHandlerCancelled()
    {
        var result = await RunAsync("deadline");

        Assert.Equal(4, result.GetProperty("code").GetInt32());
        await fixture.Service.UnaryCancelled.Task.WaitBounded();
    }

    [Fact]
    public async Task GrpcJsServerStreaming_FiveMessages_AllReceivedInOrder()
    {
        var result = await RunAsync("server-stream");

        Assert.Equal(0, result.GetProperty("code").GetInt32());
        Assert.Equal([0, 1, 2, 3, 4], result.GetProperty("counts").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(500, result.GetProperty("bytes").GetInt32());
    }

    [Fact]
    public async Task GrpcJsServerStreaming_ClientCancelsMidStream_HandlerCancelled()
    {
        var result = await RunAsync("cancel");

        Assert.Equal(1, result.GetProperty("code").GetInt32());
        Assert.Equal(1, result.GetProperty("received").GetInt32());
        await fixture.Service.ServerStreamCancelled.Task.WaitBounded();
    }

    [Fact]
    public async Task GrpcJsClientStreaming_FourMessages_CountAndBytes()
    {
        var result = await RunAsync("client-stream");

        Assert.Equal(0, result.GetProperty("code").GetInt32());
        Assert.Equal(4, result.GetProperty("count").GetInt32());
        Assert.Equal("1111", result.GetProperty("text").GetString());
    }

    [Fact]
    public async Task GrpcJsDuplex_PingPong_EchoesEach()
    {
        var result = await RunAsync("duplex");

        Assert.Equal(0, result.GetProperty("code").GetInt32());
        Assert.Equal(["echo:m0", "echo:m1", "echo:m2"], result.GetProperty("texts").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task GrpcJsDuplex_ErrorAfterOneMessage_MessageThenStatusWithDetails()
    {
        var result = await RunAsync("duplex-error");

        Assert.Equal(3, result.GetProperty("code").GetInt32());
        Assert.Equal(["echo:ok"], result.GetProperty("texts").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(Convert.ToBase64String(InteropEchoService.Details), result.GetProperty("trailers").GetProperty("grpc-status-details-bin").GetString());
    }
}
