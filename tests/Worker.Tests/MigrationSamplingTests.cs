using Cluster.Contracts.V1;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>
/// A request migrated mid-stream (the router's Reserve → Prefill → Decode, or Decode without ticket, with the tokens
/// generated so far) continues exactly as the unmigrated run, with penalties and seeded sampling: the generated tokens
/// reach the engines as output, not as prompt.
/// </summary>
public sealed class MigrationSamplingTests(WorkerPair pair) : IClassFixture<WorkerPair>
{
    private const int MaxTokens = 12;

    public static TheoryData<string, int> Cases => new()
    {
        { "greedy-penalised", 3 },
        { "greedy-penalised", 7 },
        { "seeded-penalised", 3 },
        { "seeded-penalised", 7 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task DisaggregatedMigration_AfterKTokens_EqualsTheUnmigratedRun(string sampling, int k)
    {
        var prompt = TinyModel.Prompt(10, seed: 400 + k);
        var whole = await DisaggregatedAsync($"whole-{sampling}-{k}", prompt, [], sampling);

        var resumed = await DisaggregatedAsync($"migrated-{sampling}-{k}", prompt, whole[..k], sampling);

        Assert.Equal(whole[k..], resumed);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task LocalMigration_AfterKTokens_EqualsTheUnmigratedRun(string sampling, int k)
    {
        var prompt = TinyModel.Prompt(10, seed: 500 + k);
        var whole = Calls.Tokens(await Calls.ReadAllAsync(pair.Decode, Request($"local-whole-{sampling}-{k}", prompt, [], sampling)));

        var resumed = Calls.Tokens(await Calls.ReadAllAsync(pair.Decode, Request($"local-migrated-{sampling}-{k}", prompt, whole[..k], sampling)));

        Assert.Equal(MaxTokens, whole.Count);
        Assert.Equal(whole[k..], resumed);
    }

    [Fact]
    public async Task Penalties_ChangeTheTinyModelsOutput()
    {
        var prompt = TinyModel.Prompt(10, seed: 403);
        var penalised = Calls.Tokens(await Calls.ReadAllAsync(pair.Decode, Request("penalised", prompt, [], "greedy-penalised")));

        Assert.NotEqual(pair.Model.Greedy(prompt, MaxTokens), penalised);
    }

    // Reserve (prompt + earlier) on D, Prefill (prompt, generated = earlier) on P pushing to D, Decode with the ticket.
    private async Task<List<int>> DisaggregatedAsync(string id, int[] prompt, IReadOnlyList<int> earlier, string sampling)
    {
        var reserve = await pair.Decode.Client.ReserveAsync(
            new ReserveRequest { RequestId = id, Model = TinyModel.Id, PromptTokens = (uint)(prompt.Length + earlier.Count), MaxNewTokens = (uint)(MaxTokens - earlier.Count) },
            pair.Decode.Options());
        var prefill = new PrefillRequest { RequestId = id, Model = TinyModel.Id, DecodeEndpoint = pair.Decode.Endpoint.ToString(), Ticket = reserve.Ticket, Sampling = Sampling(sampling) };
        prefill.PromptTokenIds.Add(prompt.Select(t => (uint)t));
        prefill.GeneratedTokenIds.Add(earlier.Select(t => (uint)t));
        var response = await pair.Prefill.Client.PrefillAsync(prefill, pair.Prefill.Options());
        Assert.Equal((uint)(prompt.Length + earlier.Count), response.ComputedTokens + response.CachedTokens);
        var first = (int)response.FirstTokenId;
        var rest = Calls.Tokens(await Calls.ReadAllAsync(pair.Decode, Request(id, prompt, [.. earlier, first], sampling, reserve.Ticket)));
        return [first, .. rest];
    }

    private static DecodeRequest Request(string id, int[] prompt, IEnumerable<int> generated, string sampling, string ticket = "")
    {
        var request = Calls.Decode(id, prompt, generated, MaxTokens, ticket);
        request.Sampling = Sampling(sampling);
        return request;
    }

    private static SamplingParams Sampling(string name) => name switch
    {
        "greedy-penalised" => new SamplingParams { PresencePenalty = 1.5f, FrequencyPenalty = 1f, RepetitionPenalty = 1.3f },
        _ => new SamplingParams { Temperature = 0.9f, Seed = 77, PresencePenalty = 1.5f, FrequencyPenalty = 1f },
    };
}
