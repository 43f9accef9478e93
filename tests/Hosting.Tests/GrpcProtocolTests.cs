using System.Buffers.Binary;
using System.Net;
using Cluster.Hosting.Auth;
using Cluster.Hosting.Tests.Interop;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Hosting.Tests;

/// <summary>
/// gRPC behaviour of a cluster host on Grpc.AspNetCore, checked on the wire (re-homed from the deleted
/// Rpc.Tests RawProtocolTests, LimitsTests and DeadlineAndCancellationTests): Trailers-Only errors, the server's
/// receive limit and a deadline the server enforces by itself.
/// </summary>
public sealed class GrpcProtocolTests
{
    private static Task<TestHost> StartEchoHostAsync(InteropEchoService service, params string[] args) =>
        TestHost.StartAsync(
            builder => builder.Services.AddSingleton(service),
            app => app.MapGrpcService<InteropEchoService>().RequireClusterToken(),
            args);

    [Fact]
    public async Task CallWithoutToken_TrailersOnlyUnauthenticated_StatusInTheHeadersAndNoBody()
    {
        var service = new InteropEchoService();
        await using var host = await StartEchoHostAsync(service, "--Auth:ClusterToken=s3cret");
        using var client = RawHttp2Client();
        using var request = GrpcRequest(host, "Unary", EchoMethods.Text("hi"));

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(2, 0), response.Version);
        Assert.Equal("16", Header(response, "grpc-status")); // in the only HEADERS frame
        Assert.Contains("authorization: Bearer", Header(response, "grpc-message"));
        Assert.Empty(body);
        Assert.Empty(response.TrailingHeaders);
    }

    [Fact]
    public async Task CallWithoutToken_GrpcNetClient_UnauthenticatedAndNoMessage()
    {
        var service = new InteropEchoService();
        await using var host = await StartEchoHostAsync(service, "--Auth:ClusterToken=s3cret");
        var messages = 0;
        using var call = host.Channel.CreateCallInvoker().AsyncServerStreamingCall(
            EchoMethods.ServerStream, null, default, new EchoMessage { Count = 3 });

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
                messages++;
            }
        });

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal(0, messages);
    }

    [Fact]
    public async Task UnaryRequestOverTheHostsReceiveLimit_ResourceExhausted_AndJustUnderIsServed()
    {
        await using var host = await StartEchoHostAsync(new InteropEchoService());
        using var unlimited = UnlimitedChannel(host); // only the server's limit can refuse (the echo would trip the client's)
        var invoker = unlimited.CreateCallInvoker();
        var limit = 4 << 20; // the documented 4 MiB (ClusterHostExtensions.DefaultMaxMessageSize)
        Assert.True(ClusterHostExtensions.DefaultMaxMessageSize == limit, $"The host's receive limit is {ClusterHostExtensions.DefaultMaxMessageSize}, the docs say 4 MiB.");

        var under = EchoMethods.Payload(limit - 16);
        Assert.True(under.CalculateSize() <= limit);
        var echoed = await invoker.AsyncUnaryCall(EchoMethods.Unary, null, default, under);
        Assert.Equal(under.Payload.Length, echoed.Payload.Length);

        var over = EchoMethods.Payload(limit);
        Assert.True(over.CalculateSize() > limit);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await invoker.AsyncUnaryCall(EchoMethods.Unary, null, default, over));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public async Task ClientStreamingOneMessageOverTheHostsReceiveLimit_ResourceExhausted()
    {
        await using var host = await StartEchoHostAsync(new InteropEchoService());
        using var unlimited = UnlimitedChannel(host);
        using var call = unlimited.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, default);

        try
        {
            await call.RequestStream.WriteAsync(EchoMethods.Payload(1024));
            await call.RequestStream.WriteAsync(EchoMethods.Payload(ClusterHostExtensions.DefaultMaxMessageSize));
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server may end the call before the writes finish; the call's status below is what counts.
        }

        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseAsync.WaitBounded());
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public async Task ServerEnforcedDeadline_ClientWithoutTimer_HandlerCancelledAndDeadlineExceeded()
    {
        var service = new InteropEchoService();
        await using var host = await StartEchoHostAsync(service);
        using var client = RawHttp2Client(); // sends grpc-timeout but never cancels: only the server can end the call
        using var request = GrpcRequest(host, "Unary", EchoMethods.Text("wait"));
        request.Headers.TryAddWithoutValidation("grpc-timeout", "300m");

        var started = System.Diagnostics.Stopwatch.StartNew();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsByteArrayAsync();
        await service.UnaryCancelled.Task.WaitBounded();

        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(250), $"The call ended after {started.Elapsed}, before its 300 ms deadline.");
        Assert.Empty(body);
        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var values) ? values.Single() : Header(response, "grpc-status");
        Assert.Equal(((int)StatusCode.DeadlineExceeded).ToString(System.Globalization.CultureInfo.InvariantCulture), status);
    }

    private static GrpcChannel UnlimitedChannel(TestHost host) => GrpcChannel.ForAddress(
        host.Endpoints.GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });

    private static HttpClient RawHttp2Client() => new(new SocketsHttpHandler()) { Timeout = Bounded.Timeout };

    private static HttpRequestMessage GrpcRequest(TestHost host, string method, IMessage message)
    {
        var bytes = message.ToByteArray();
        var frame = new byte[5 + bytes.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)bytes.Length);
        bytes.CopyTo(frame, 5);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.Endpoints.GrpcAddress, $"/{EchoMethods.ServiceName}/{method}"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        return request;
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : throw new Xunit.Sdk.XunitException($"No '{name}' in the response headers.");
}
