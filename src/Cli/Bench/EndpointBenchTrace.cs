using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cluster.Cli.Bench;

/// <summary>
/// One line of a <c>bench serve --endpoint</c> trace (JSONL): when it arrives (seconds from the start; used when the
/// trace is replayed), how long its prompt is (<c>prompt_tokens</c>, or literal <c>prompt</c> text), how many tokens it
/// asks for, and optionally which shared-prefix group it belongs to and how many of its prompt tokens that prefix covers.
/// </summary>
public sealed record EndpointBenchTraceLine(
    [property: JsonPropertyName("arrival_s")] double ArrivalSeconds,
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("output_tokens")] int OutputTokens,
    [property: JsonPropertyName("group")] int? Group = null,
    [property: JsonPropertyName("prefix_tokens")] int PrefixTokens = 0,
    [property: JsonPropertyName("prompt")] string? Prompt = null);

/// <summary>Reading, writing and generating traces. Generated traces are deterministic per seed.</summary>
public static class EndpointBenchTrace
{
    public const string ShareGptLike = "sharegpt";
    public const string SharedSystemPrompts = "shared-prefix";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>
    /// <c>sharegpt</c>: prompt and output lengths log-normal (median 160 and 128 tokens, long tails, clipped to 4–1,536
    /// and 4–512); <c>shared-prefix</c>: every prompt starts with one of <paramref name="groups"/> system prompts of
    /// <paramref name="prefixTokens"/> tokens, then a log-normal question (median 64), output median 128. Poisson arrivals.
    /// </summary>
    public static IReadOnlyList<EndpointBenchTraceLine> Generate(string kind, int count, double rate, int groups, int prefixTokens, int seed)
    {
        if (kind is not (ShareGptLike or SharedSystemPrompts))
        {
            throw new ArgumentException($"--trace-kind must be {ShareGptLike} or {SharedSystemPrompts} (got '{kind}').");
        }

        if (count < 1 || rate <= 0 || (kind == SharedSystemPrompts && (groups < 1 || prefixTokens < 1)))
        {
            throw new ArgumentException($"a generated trace needs --requests >= 1, --rate > 0 and, for {SharedSystemPrompts}, --prefixes >= 1 and --shared-prefix >= 1 " +
                $"(got {count}, {rate}, {groups}, {prefixTokens}).");
        }

        var random = new Random(seed);
        var lines = new List<EndpointBenchTraceLine>(count);
        var t = 0.0;
        for (var i = 0; i < count; i++)
        {
            t += -Math.Log(1 - random.NextDouble()) / rate;
            lines.Add(kind == ShareGptLike
                ? new EndpointBenchTraceLine(Math.Round(t, 6), LogNormal(random, 160, 1.0, 4, 1536), LogNormal(random, 128, 0.8, 4, 512))
                : new EndpointBenchTraceLine(Math.Round(t, 6), prefixTokens + LogNormal(random, 64, 0.8, 4, 512), LogNormal(random, 128, 0.8, 4, 512),
                    random.Next(groups), prefixTokens));
        }

        return lines;
    }

    public static void Write(string path, IEnumerable<EndpointBenchTraceLine> lines) =>
        File.WriteAllLines(path, lines.Select(l => JsonSerializer.Serialize(l, Json)));

    /// <summary>Reads a JSONL trace; a bad line is an error naming the file, the line number and what to fix.</summary>
    public static IReadOnlyList<EndpointBenchTraceLine> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"--trace: no file at {path}.");
        }

        var lines = new List<EndpointBenchTraceLine>();
        var number = 0;
        foreach (var text in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            EndpointBenchTraceLine? line;
            try
            {
                line = JsonSerializer.Deserialize<EndpointBenchTraceLine>(text, Json);
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"{path}:{number.ToString(CultureInfo.InvariantCulture)}: not a trace line ({e.Message}).");
            }

            var problem = line is null ? "empty line object" : Problem(line);
            if (problem is not null)
            {
                throw new ArgumentException($"{path}:{number.ToString(CultureInfo.InvariantCulture)}: {problem}.");
            }

            lines.Add(line!);
        }

        return lines.Count == 0 ? throw new ArgumentException($"--trace: {path} holds no lines.") : lines;
    }

    private static string? Problem(EndpointBenchTraceLine l) =>
        l.ArrivalSeconds < 0 || !double.IsFinite(l.ArrivalSeconds) ? "arrival_s must be a finite number >= 0"
        : l.Prompt is null && l.PromptTokens < 1 ? "give prompt_tokens >= 1 or a prompt text"
        : l.OutputTokens < 1 ? "output_tokens must be >= 1"
        : l.PrefixTokens < 0 || (l.Prompt is null && l.PrefixTokens >= l.PromptTokens) ? "prefix_tokens must be >= 0 and below prompt_tokens"
        : l.PrefixTokens > 0 && l.Group is null ? "prefix_tokens needs a group"
        : null;

    /// <summary>A log-normal draw with the given median, rounded and clipped (Box–Muller).</summary>
    internal static int LogNormal(Random random, double median, double sigma, int min, int max)
    {
        var z = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return (int)Math.Clamp(Math.Round(median * Math.Exp(sigma * z)), min, max);
    }
}
