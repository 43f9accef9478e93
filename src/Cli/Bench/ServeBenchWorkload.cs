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
    /// served systems see the same requests: its first <paramref name="count"/> lines, the arrival times
    /// <c>bench serve --endpoint</c> uses at <paramref name="rate"/> (NaN: the trace's own) and seed, and the token ids it
    /// sends in its first round, drawn below <paramref name="vocab"/>. Lines with literal prompt text are refused (no tokenizer here).
    /// </summary>
    public static ServeBenchWorkload FromTrace(string name, IReadOnlyList<EndpointBenchTraceLine> trace, int count, double rate, int vocab, int seed)
    {
        var lines = trace.Take(count).ToArray();
        if (Array.FindIndex(lines, l => l.Prompt is not null) is var text and >= 0)
        {
            throw new ArgumentException($"{name}: line {text + 1} has prompt text; the in-process engine run needs prompt_tokens lengths.");
        }

        var arrivals = EndpointBench.Arrivals(lines, rate, seed);
        var prompts = new EndpointBenchPrompts(EndpointBenchPrompts.Tokens, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"0:{vocab}"), seed);
        var requests = lines.Select((line, i) => new ServeBenchRequest(arrivals[i], prompts.TokenIds(line, i, round: 0), line.OutputTokens)).ToList();
        return new ServeBenchWorkload(name, double.IsNaN(rate) && arrivals.Length > 0 ? requests.Count / Math.Max(arrivals[^1], 1e-9) : rate, requests);
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this));

    public static ServeBenchWorkload Load(string path) =>
        JsonSerializer.Deserialize<ServeBenchWorkload>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} holds no workload.");

    private static int[] Tokens(Random random, int count, int vocab) => [.. Enumerable.Range(0, count).Select(_ => random.Next(vocab))];
}
