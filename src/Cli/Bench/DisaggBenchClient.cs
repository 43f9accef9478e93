using System.Text.Json.Nodes;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>bench disagg</c>'s requests: one streamed <c>POST /v1/completions</c> of a token-id prompt with <c>ignore_eos</c>,
/// through <see cref="EndpointBenchClient"/> (the same client and timing as <c>bench serve --endpoint</c>).
/// </summary>
public sealed class DisaggBenchClient(Uri routerHttp, string model, TimeSpan timeout) : IDisposable
{
    private readonly EndpointBenchClient _client = new(routerHttp, timeout);

    public Task<EndpointBenchClient.Outcome> CompleteAsync(int[] prompt, int maxTokens, CancellationToken ct) =>
        _client.CompleteAsync(model, new JsonArray([.. prompt.Select(id => (JsonNode)id)]), maxTokens, ignoreEos: true, ct);

    public void Dispose() => _client.Dispose();
}
