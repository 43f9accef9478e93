using Cluster.Contracts.V1;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Client.Tests;

public sealed class ClusterClientTests
{
    private static ClusterClient ClientFor(ScriptedRouter router, int maxRetries = 3, string? apiKey = null) => new(new ClusterClientOptions
    {
        Addresses = [router.Address],
        MaxRetries = maxRetries,
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        ApiKey = apiKey,
    });

    [Fact]
    public async Task GenerateAsync_Streams_TextThenFinishAndUsage()
    {
        await using var router = await ScriptedRouter.StartAsync();
        using var client = ClientFor(router);
        var chunks = await client.GenerateAsync("hi").ToListAsync();
        Assert.Equal("hello world", string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
        Assert.Equal(new TokenUsage(4, 2, 2), chunks[^1].Usage);
        Assert.All(chunks[..^1], c => Assert.Null(c.FinishReason));
    }

    [Fact]
    public async Task CancelAsync_SendsTheIdWithTheKey_TrueWhenCancelledFalseForNotFound()
    {
        await using var router = await ScriptedRouter.StartAsync();
        router.Cancellable.Add("job-1");
        using var client = ClientFor(router, apiKey: "k1");

        Assert.True(await client.CancelAsync("job-1"));
        Assert.False(await client.CancelAsync("job-2"));
        Assert.Equal(["job-1", "job-2"], router.Cancels);
        Assert.All(router.Authorizations, a => Assert.Equal("Bearer k1", a));
    }

    [Fact]
    public async Task GenerateAsync_RequestIdOption_IsSentAsTheRequestId()
    {
        await using var router = await ScriptedRouter.StartAsync();
        string? seen = null;
        router.OnGenerate = (n, request, stream, context) =>
        {
            seen = request.RequestId;
            return ScriptedRouter.StreamWords(request, stream, context, "ok");
        };
        using var client = ClientFor(router);
        await client.GenerateAsync("hi", new GenerationOptions { RequestId = "job-7" }).ToListAsync();
        Assert.Equal("job-7", seen);
    }

    [Fact]
    public async Task GenerateAsync_UnavailableBeforeFirstToken_RetriesAndSucceeds()
    {
        await using var router = await ScriptedRouter.StartAsync();
        router.OnGenerate = (n, request, stream, context) => n < 3
            ? throw new RpcException(new Status(StatusCode.Unavailable, "no prefill worker"), new Metadata { { "grpc-retry-pushback-ms", "1" } })
            : ScriptedRouter.StreamWords(request, stream, context, "ok");
        using var client = ClientFor(router);
        var text = string.Concat((await client.GenerateAsync("hi").ToListAsync()).Select(c => c.Text));
        Assert.Equal("ok", text);
        Assert.Equal(3, router.Calls);
    }

    [Fact]
    public async Task GenerateAsync_FailureAfterFirstToken_IsNotRetried()
    {
        await using var router = await ScriptedRouter.StartAsync();
        router.OnGenerate = async (n, request, stream, context) =>
        {
            await stream.WriteAsync(new GenerateResponse { Text = "partial" }, context.CancellationToken);
            throw new RpcException(new Status(StatusCode.Unavailable, "decode worker lost"));
        };
        using var client = ClientFor(router);
        var received = new List<string>();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var chunk in client.GenerateAsync("hi"))
            {
                received.Add(chunk.Text);
            }
        });
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(["partial"], received);
        Assert.Equal(1, router.Calls);
    }

    [Fact]
    public async Task GenerateAsync_ResourceExhaustedWithNegativePushback_IsNotRetried()
    {
        await using var router = await ScriptedRouter.StartAsync();
        router.OnGenerate = (_, _, _, _) => throw new RpcException(new Status(StatusCode.ResourceExhausted, "queue full"), new Metadata { { "grpc-retry-pushback-ms", "-1" } });
        using var client = ClientFor(router);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.GenerateAsync("hi").ToListAsync());
        Assert.Equal("queue full", e.Status.Detail);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal(1, router.Calls);
    }

    [Fact]
    public async Task GenerateAsync_InvalidArgument_SurfacesStatusAndMessageWithoutRetry()
    {
        await using var router = await ScriptedRouter.StartAsync();
        router.OnGenerate = (_, _, _, _) => throw new RpcException(new Status(StatusCode.InvalidArgument, "temperature must be in [0, 2]"));
        using var client = ClientFor(router);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.GenerateAsync("hi", new GenerationOptions { Temperature = 5 }).ToListAsync());
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("temperature", e.Status.Detail);
        Assert.Equal(1, router.Calls);
    }

    [Fact]
    public async Task GenerateAsync_CancelledMidStream_CancelsServerSide()
    {
        await using var router = await ScriptedRouter.StartAsync();
        var release = new TaskCompletionSource();
        router.OnGenerate = async (_, _, stream, context) =>
        {
            await stream.WriteAsync(new GenerateResponse { Text = "first" }, context.CancellationToken);
            await release.Task.WaitAsync(context.CancellationToken);
        };
        using var client = ClientFor(router);
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var chunk in client.GenerateAsync("hi", cancellationToken: cts.Token))
            {
                await cts.CancelAsync();
            }
        });
        await router.ServerSawCancellation.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task GenerateAsync_DeadlinePasses_FailsWithDeadlineExceeded()
    {
        await using var router = await ScriptedRouter.StartAsync();
        router.OnGenerate = (_, _, _, context) => Task.Delay(Timeout.Infinite, context.CancellationToken);
        using var client = ClientFor(router);
        // Connected first, so the deadline is spent in the handler: a deadline that passed while the first call was still
        // connecting (a loaded CI machine) would end the call before the server saw it, and the server would see nothing.
        Assert.Single(await client.ListModelsAsync());
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.GenerateAsync("hi", new GenerationOptions { Timeout = TimeSpan.FromSeconds(2) }).ToListAsync());
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        await router.ServerSawCancellation.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Calls_WithApiKey_SendBearerAuthorization()
    {
        await using var router = await ScriptedRouter.StartAsync();
        using var client = ClientFor(router, apiKey: "sk-test");
        await client.GenerateAsync("hi").ToListAsync();
        Assert.Equal("Bearer sk-test", Assert.Single(router.Authorizations));
    }

    [Fact]
    public async Task CompleteAsync_ReturnsWholeCompletion()
    {
        await using var router = await ScriptedRouter.StartAsync();
        using var client = ClientFor(router);
        var completion = await client.CompleteAsync("abc");
        Assert.Equal("echo: abc", completion.Text);
        Assert.Equal(FinishReason.Length, completion.FinishReason);
        Assert.Equal(5, completion.Usage.TotalTokens);
    }

    [Fact]
    public async Task ListModelsAsync_ReturnsServedModels()
    {
        await using var router = await ScriptedRouter.StartAsync();
        using var client = ClientFor(router);
        var model = Assert.Single(await client.ListModelsAsync());
        Assert.Equal(new ModelDescription("tiny", 2048, "cluster"), model);
    }

    [Fact]
    public async Task GenerateAsync_ManyConcurrentTasks_AllComplete()
    {
        await using var router = await ScriptedRouter.StartAsync();
        using var client = ClientFor(router);
        var texts = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
            string.Concat((await client.GenerateAsync("hi").ToListAsync()).Select(c => c.Text))));
        Assert.All(texts, t => Assert.Equal("hello world", t));
        Assert.Equal(50, router.Calls);
    }

    [Fact]
    public async Task CheckHealthAsync_NothingListening_ReturnsFalse()
    {
        using var client = new ClusterClient(new Uri("http://127.0.0.1:1"));
        Assert.False(await client.CheckHealthAsync());
    }

    [Fact]
    public void AddClusterClient_FromConfiguration_BindsOptions()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ClusterClient:Addresses:0"] = "http://127.0.0.1:50051",
            ["ClusterClient:ApiKey"] = "k",
            ["ClusterClient:MaxRetries"] = "5",
        }).Build();
        using var provider = new ServiceCollection().AddClusterClient(configuration.GetSection("ClusterClient")).BuildServiceProvider();
        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ClusterClientOptions>>().Value;
        Assert.Equal(new Uri("http://127.0.0.1:50051"), Assert.Single(options.Addresses));
        Assert.Equal(5, options.MaxRetries);
        Assert.NotNull(provider.GetRequiredService<ClusterClient>());
    }

    [Fact]
    public void Constructor_NoAddress_ThrowsSayingWhatToSet()
    {
        var e = Assert.Throws<ArgumentException>(() => new ClusterClient(new ClusterClientOptions()));
        Assert.Contains("Addresses", e.Message);
    }
}
