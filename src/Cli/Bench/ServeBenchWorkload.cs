using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cluster.Cli.Bench;

/// <summary>One request of a serving workload: arrival time (seconds from the start), prompt token ids, output length.</summary>
internal sealed record ServeBenchRequest(
    [property: JsonPropertyName("arrival")] double Arrival,
    [property: JsonPropertyName("prompt")] int[] Prompt,
    [property: JsonPropertyName("max_tokens")] int MaxTokens);

/// <summary>
/// A synthetic serving workload, shared as JSON with tests/reference/hf_serve.py so both engines see the same requests:
/// Poisson arrivals at <see cref="Rate"/> requests/s; prompt and output lengths log-normal (ShareGPT-like: median 160
/// and 128 tokens, long tails, clipped); optionally each prompt starts with one of a few shared system prompts.
/// </summary>
internal sealed record ServeBenchWorkload(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("rate")] double Rate,
    [property: JsonPropertyName("requests")] IReadOnlyList<ServeBenchRequest> Requests)
{
    public static ServeBenchWorkload Generate(string name, int count, double rate, int vocab, int sharedPrefix, int prefixes, int seed)
    {
        var random = new Random(seed);
        var systems = Enumerable.Range(0, prefixes).Select(_ => Tokens(random, sharedPrefix, vocab)).ToArray();
        var requests = new List<ServeBenchRequest>(count);
        var t = 0.0;
        for (var i = 0; i < count; i++)
        {
            t += -Math.Log(1 - random.NextDouble()) / rate;                      // exponential inter-arrival
            var prompt = EndpointBenchTrace.LogNormal(random, median: 160, sigma: 1.0, min: 4, max: 1536);
            var output = EndpointBenchTrace.LogNormal(random, median: 128, sigma: 0.8, min: 4, max: 512);
            int[] tokens = sharedPrefix > 0 ? [.. systems[random.Next(prefixes)], .. Tokens(random, prompt, vocab)] : Tokens(random, prompt, vocab);
            requests.Add(new ServeBenchRequest(t, tokens, output));
        }
        return new ServeBenchWorkload(name, rate, requests);
    }

    /// <summary>
    /// The in-process engine's workload from an endpoint trace (<c>bench serve --trace</c>), so the engine alone and the
    /// served systems see the same lengths: its first <paramref name="count"/> lines, Poisson arrivals at
    /// <paramref name="rate"/> (NaN: the trace's own times), random token ids below <paramref name="vocab"/>, one shared
    /// prefix of <c>prefix_tokens</c> ids per group. Lines with literal prompt text are refused (no tokenizer here).
    /// </summary>
    public static ServeBenchWorkload FromTrace(string name, IReadOnlyList<EndpointBenchTraceLine> trace, int count, double rate, int vocab, int seed)
    {
        var random = new Random(seed);
        var prefixes = new Dictionary<int, int[]>();
        var requests = new List<ServeBenchRequest>();
        var t = 0.0;
        foreach (var (line, i) in trace.Take(count).Select((l, i) => (l, i)))
        {
            if (line.Prompt is not null)
            {
                throw new ArgumentException($"{name}: line {i + 1} has prompt text; the in-process engine run needs prompt_tokens lengths.");
            }

            t = double.IsNaN(rate) ? line.ArrivalSeconds : t + (-Math.Log(1 - random.NextDouble()) / rate);
            var prefix = line.Group is { } g && line.PrefixTokens > 0
                ? prefixes.TryGetValue(g, out var p) ? p : prefixes[g] = Tokens(random, line.PrefixTokens, vocab)
                : [];
            requests.Add(new ServeBenchRequest(t, [.. prefix, .. Tokens(random, Math.Max(1, line.PromptTokens - prefix.Length), vocab)], line.OutputTokens));
        }

        return new ServeBenchWorkload(name, double.IsNaN(rate) ? requests.Count / Math.Max(t, 1e-9) : rate, requests);
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this));

    public static ServeBenchWorkload Load(string path) =>
        JsonSerializer.Deserialize<ServeBenchWorkload>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} holds no workload.");

    private static int[] Tokens(Random random, int count, int vocab) => [.. Enumerable.Range(0, count).Select(_ => random.Next(vocab))];
}
