using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Client.Tests.RealCluster;

/// <summary>
/// The generated <see cref="Inference.InferenceClient"/> (Grpc.Tools, from proto/) used directly on a plain
/// <see cref="GrpcChannel"/>, without <see cref="ClusterClient"/>, against the real router.
/// </summary>
[Collection(RealClusterCollection.Name)]
public sealed class GeneratedClientTests(RealClusterFixture fixture)
{
    [Fact]
    public async Task GeneratedInferenceClient_OnAPlainChannel_StreamsTokensThenFinishAndUsage()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var channel = GrpcChannel.ForAddress(fixture.Cluster.RouterGrpc);
        var client = new Inference.InferenceClient(channel);
        var request = new GenerateRequest
        {
            Model = RealClusterFixture.ModelId,
            Text = "Generated stubs",
            Sampling = new SamplingParams { Temperature = 0 },
            Stop = new StopConditions { MaxTokens = 8, IgnoreEos = true },
        };

        using var call = client.Generate(request, deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: timeout.Token);
        var chunks = await call.ResponseStream.ReadAllAsync(timeout.Token).ToListAsync(timeout.Token);

        Assert.Equal(8, chunks.Sum(c => c.TokenIds.Count));
        Assert.Equal(Contracts.V1.FinishReason.Length, chunks[^1].FinishReason);
        Assert.Equal(8u, chunks[^1].Usage.CompletionTokens);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);

        var models = await client.ListModelsAsync(new ListModelsRequest(), cancellationToken: timeout.Token);
        Assert.Contains(models.Models, m => m.Id == RealClusterFixture.ModelId);
    }
}
