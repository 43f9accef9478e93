using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace Cluster.Client.Tests;

/// <summary>A caller's own <see cref="GrpcChannel"/> or <see cref="CallInvoker"/> under <see cref="ClusterClient"/>.</summary>
public sealed class UserChannelTests
{
    [Fact]
    public async Task UserChannel_CallsGoThroughItsHandler_WithTheApiKey_AndDisposeLeavesItOpen()
    {
        await using var router = await ScriptedRouter.StartAsync();
        var counting = new CountingHandler(new SocketsHttpHandler());
        using var channel = GrpcChannel.ForAddress(router.Address, new GrpcChannelOptions { HttpHandler = counting });

        using (var client = new ClusterClient(channel, new ClusterClientOptions { ApiKey = "sk-user" }))
        {
            var chunks = await client.GenerateAsync("hi").ToListAsync();
            Assert.Equal("hello world", string.Concat(chunks.Select(c => c.Text)));
        }

        Assert.Equal(1, counting.Requests);
        Assert.Equal("Bearer sk-user", Assert.Single(router.Authorizations));

        // The client did not own the channel: it still works after the client is disposed.
        var models = await new Contracts.V1.Inference.InferenceClient(channel).ListModelsAsync(new Contracts.V1.ListModelsRequest());
        Assert.Single(models.Models);
        Assert.Equal(2, counting.Requests);
    }

    [Fact]
    public async Task UserCallInvoker_OwnInterceptorSeesEveryCallWithTheApiKey()
    {
        await using var router = await ScriptedRouter.StartAsync();
        using var channel = GrpcChannel.ForAddress(router.Address);
        var recorder = new RecordingInterceptor();
        using var client = new ClusterClient(channel.Intercept(recorder), new ClusterClientOptions { ApiKey = "sk-k" });

        await client.GenerateAsync("hi").ToListAsync();
        Assert.Single(await client.ListModelsAsync());
        Assert.Equal("echo: abc", (await client.CompleteAsync("abc")).Text);

        Assert.Equal(
            ["/cluster.v1.Inference/Generate", "/cluster.v1.Inference/ListModels", "/cluster.v1.Inference/Complete"],
            recorder.Calls.Select(c => c.Method).ToArray());
        Assert.All(recorder.Calls, c => Assert.Equal("Bearer sk-k", c.Authorization));
        Assert.Equal(3, router.Authorizations.Count);
    }

    [Fact]
    public async Task ApiKeyInterceptor_OnAPlainChannelWithTheGeneratedClient_AddsTheKeyUnlessTheCallCarriesOne()
    {
        await using var router = await ScriptedRouter.StartAsync();
        using var channel = GrpcChannel.ForAddress(router.Address);
        var inference = new Contracts.V1.Inference.InferenceClient(channel.Intercept(new ApiKeyInterceptor("sk-k")));

        await inference.ListModelsAsync(new Contracts.V1.ListModelsRequest(), new CallOptions(new Metadata { { "authorization", "Bearer mine" }, { "x-other", "1" } }));
        await inference.ListModelsAsync(new Contracts.V1.ListModelsRequest());

        Assert.Equal(["Bearer mine", "Bearer sk-k"], router.Authorizations.ToArray());
    }

    private sealed class RecordingInterceptor : Interceptor
    {
        public ConcurrentQueue<(string Method, string? Authorization)> Calls { get; } = new();

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            Record(context);
            return continuation(request, context);
        }

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
        {
            Record(context);
            return continuation(request, context);
        }

        private void Record<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
            where TRequest : class
            where TResponse : class =>
            Calls.Enqueue((context.Method.FullName, context.Options.Headers?.GetValue("authorization")));
    }
}
