using Cluster.Hosting.Auth;
using Cluster.Hosting.Tests.Interop;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Hosting.Tests;

/// <summary>
/// <see cref="ClusterTokenInterceptor"/>, the client side of <c>Auth:ClusterToken</c> shared by the router's worker
/// calls and the worker's KV pushes, against a host whose service requires the token.
/// </summary>
public sealed class ClusterTokenInterceptorTests
{
    private const string Token = "interceptor-token";

    private static Task<TestHost> StartAsync() =>
        TestHost.StartAsync(
            builder => builder.Services.AddSingleton(new InteropEchoService()),
            app => app.MapGrpcService<InteropEchoService>().RequireClusterToken(),
            $"--Auth:ClusterToken={Token}");

    [Fact]
    public async Task Apply_WithToken_EveryCallKindIsAccepted_AndTheCallersMetadataIsLeftAlone()
    {
        await using var host = await StartAsync();
        var invoker = ClusterTokenInterceptor.Apply(host.Channel, Token);
        var shared = new Metadata { { "x-test", "kept" } }; // reused across calls, as a push reuses its headers on resume
        var options = new CallOptions(shared, DateTime.UtcNow + Bounded.Timeout);

        var first = await invoker.AsyncUnaryCall(EchoMethods.Unary, null, options, EchoMethods.Text("a"));
        var second = await invoker.AsyncUnaryCall(EchoMethods.Unary, null, options, EchoMethods.Text("b"));
        using var stream = invoker.AsyncClientStreamingCall(EchoMethods.ClientStream, null, options);
        await stream.RequestStream.WriteAsync(EchoMethods.Text("c"));
        await stream.RequestStream.CompleteAsync();
        var streamed = await stream;

        Assert.Equal(["echo:a", "echo:b"], new[] { first.Text, second.Text });
        Assert.Equal(1, streamed.Count);
        Assert.Equal("x-test", Assert.Single(shared).Key);
    }

    [Fact]
    public async Task Apply_WithoutToken_PlainInvoker_Unauthenticated()
    {
        await using var host = await StartAsync();
        var invoker = ClusterTokenInterceptor.Apply(host.Channel, null);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await invoker.AsyncUnaryCall(EchoMethods.Unary, null, default, EchoMethods.Text("a")));

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    [Fact]
    public async Task CallersOwnAuthorization_Wins()
    {
        await using var host = await StartAsync();
        var invoker = ClusterTokenInterceptor.Apply(host.Channel, Token);
        var own = new CallOptions(new Metadata { { "authorization", "Bearer not-the-token" } });

        var e = await Assert.ThrowsAsync<RpcException>(async () => await invoker.AsyncUnaryCall(EchoMethods.Unary, null, own, EchoMethods.Text("a")));

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }
}
