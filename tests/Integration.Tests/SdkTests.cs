using Cluster.Client;
using Cluster.Integration.Tests.Infrastructure;
using Grpc.Core;

namespace Cluster.Integration.Tests;

/// <summary>The .NET SDK (src/Client) against the real cluster: streaming, cancellation freeing worker blocks, errors.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SdkTests(ClusterFixture fixture) : IDisposable
{
    private readonly ClusterClient _client = new(new ClusterClientOptions
    {
        Addresses = { fixture.Cluster.RouterGrpc },
        ApiKey = ClusterFixture.ApiKey,
        DefaultModel = TestModel.Id,
    });

    [Fact]
    public async Task GenerateAsync_TokenIds_StreamsGoldenTokensWithUsageOnTheLastChunk()
    {
        using var cts = Deadline.ForTest();
        var prompt = Prompts.Make(7000, 37);
        var chunks = new List<GenerationChunk>();

        await foreach (var chunk in _client.GenerateAsync(prompt, new GenerationOptions { MaxTokens = 15, Temperature = 0 }, cts.Token))
        {
            chunks.Add(chunk);
        }

        Assert.Equal(fixture.Golden.Greedy(prompt, 15), chunks.SelectMany(c => c.TokenIds).ToArray());
        Assert.NotNull(chunks[^1].FinishReason);
        Assert.Equal(37, chunks[^1].Usage!.PromptTokens);
        Assert.All(chunks.SkipLast(1), c => Assert.Null(c.FinishReason));
    }

    [Fact]
    public async Task GenerateAsync_CancelledMidStream_StopsTheEngineAndFreesEveryWorkerBlock()
    {
        const int asked = 1500;
        using var cts = Deadline.ForTest();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var received = 0;
        var options = new GenerationOptions { MaxTokens = asked, Temperature = 0, IgnoreEos = true };
        await WaitDecodeWorkersIdleAsync(cts.Token);
        var generatedBefore = await GeneratedByDecodeWorkersAsync(cts.Token);

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var chunk in _client.GenerateAsync(Prompts.Make(7100, 50), options, stop.Token))
            {
                received += chunk.TokenIds.Count;
                if (received >= 5)
                {
                    await stop.CancelAsync();
                }
            }
        });

        Assert.Equal(StatusCode.Cancelled, e.StatusCode); // grpc-dotnet: the caller's own token ends the call CANCELLED
        Assert.True(received >= 5);
        await WaitDecodeWorkersIdleAsync(cts.Token);
        // Idle and settled: a worker that ignored the cancel would have run all the tokens asked for by now.
        var generated = await GeneratedByDecodeWorkersAsync(cts.Token) - generatedBefore;
        Assert.True(generated < asked / 2, $"the decode workers generated {generated} of the {asked} tokens asked for after the client cancelled");
    }

    private async Task WaitDecodeWorkersIdleAsync(CancellationToken cancellationToken)
    {
        foreach (var worker in fixture.Cluster.Workers.Where(w => w.Role == "decode"))
        {
            ulong? previous = null;
            await Deadline.UntilAsync(async () =>
            {
                var status = await fixture.Calls.StatusAsync(worker, cancellationToken);
                var settled = previous == status.GeneratedTokens;
                previous = status.GeneratedTokens;
                return settled && status.RunningRequests == 0 && status.WaitingRequests == 0 && status.KvBlocksFree == status.KvBlocksTotal;
            }, TimeSpan.FromSeconds(30), $"{worker.Name} has no running request, every KV block free and generated_tokens no longer growing");
        }
    }

    private async Task<ulong> GeneratedByDecodeWorkersAsync(CancellationToken cancellationToken)
    {
        var sum = 0UL;
        foreach (var worker in fixture.Cluster.Workers.Where(w => w.Role == "decode"))
        {
            sum += (await fixture.Calls.StatusAsync(worker, cancellationToken)).GeneratedTokens;
        }

        return sum;
    }

    [Fact]
    public async Task GenerateAsync_BadSampling_ThrowsInvalidArgumentNamingTheField()
    {
        using var cts = Deadline.ForTest();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var unused in _client.GenerateAsync("hello", new GenerationOptions { Temperature = 5 }, cts.Token))
            {
            }
        });

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("temperature", error.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task GenerateAsync_UnknownModel_ThrowsNotFoundNamingTheModel()
    {
        using var cts = Deadline.ForTest();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var unused in _client.GenerateAsync("hello", new GenerationOptions { Model = "no-such-model" }, cts.Token))
            {
            }
        });

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("no-such-model", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatStreamAsync_ConcurrentRequests_EqualSequentialOnes()
    {
        using var cts = Deadline.ForTest();
        var questions = Enumerable.Range(0, 12).Select(i => $"question number {i}: what is {i} + {i}?").ToArray();
        var options = new GenerationOptions { MaxTokens = 10, Temperature = 0 };

        var sequential = new List<string>();
        foreach (var q in questions)
        {
            sequential.Add(await TextAsync(q, options, cts.Token));
        }

        var concurrent = await Task.WhenAll(questions.Select(q => TextAsync(q, options, cts.Token)));

        Assert.Equal(sequential, concurrent);
    }

    public void Dispose() => _client.Dispose();

    private async Task<string> TextAsync(string question, GenerationOptions options, CancellationToken cancellationToken)
    {
        var ids = new List<int>();
        await foreach (var chunk in _client.ChatStreamAsync([new ChatMessage("user", question)], options, cancellationToken))
        {
            ids.AddRange(chunk.TokenIds);
        }

        return string.Join(',', ids);
    }
}
