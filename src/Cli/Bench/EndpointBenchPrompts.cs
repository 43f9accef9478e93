using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Cluster.Cli.Bench;

/// <summary>
/// Turns trace lines into prompts. <c>text</c> (the default, any endpoint): one common short English word per requested
/// token (about one token each in Llama-family vocabularies; the measured count comes back in the usage chunk);
/// <c>tokens</c>: token ids drawn from <c>--token-ids START:LIMIT</c>, exact lengths, for endpoints that take id arrays
/// (ours, vLLM). Lines of one group share the same prefix; everything is deterministic per seed.
/// </summary>
public sealed class EndpointBenchPrompts
{
    public const string Text = "text";
    public const string Tokens = "tokens";

    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he", "this",
        "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "their", "one", "all",
        "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "time", "people",
        "year", "way", "day", "man", "thing", "woman", "life", "child", "world", "school", "state", "family", "student", "group",
        "country", "problem", "hand", "part", "place", "case", "week", "company", "system", "program", "question", "work", "number",
    ];

    private readonly string _format;
    private readonly int _idStart, _idLimit, _seed;

    public EndpointBenchPrompts(string format, string? tokenIds, int seed)
    {
        _format = format;
        _seed = seed;
        switch (format)
        {
            case Text when tokenIds is not null:
                throw new ArgumentException("--token-ids goes with --prompt-format tokens.");
            case Text:
                break;
            case Tokens:
                (_idStart, _idLimit) = ParseRange(tokenIds ?? throw new ArgumentException("--prompt-format tokens needs --token-ids START:LIMIT (ids to draw from)."));
                break;
            default:
                throw new ArgumentException($"--prompt-format must be {Text} or {Tokens} (got '{format}').");
        }
    }

    /// <summary>
    /// The prompt of trace line <paramref name="index"/> in round <paramref name="round"/> (one round per offered rate, so
    /// a later rate never finds an earlier rate's prompts in a prefix cache): its literal text, or its group's prefix then
    /// its own part. Same seed, round and index: same prompt, whichever system it is sent to.
    /// </summary>
    public JsonNode For(EndpointBenchTraceLine line, int index, int round)
    {
        if (line.Prompt is not null)
        {
            return JsonValue.Create(line.Prompt);
        }

        var all = Draw(line, index, round);
        if (_format == Tokens)
        {
            return new JsonArray([.. all.Select(id => (JsonNode)id)]);
        }

        var b = new StringBuilder();
        foreach (var w in all)
        {
            b.Append(b.Length == 0 ? "" : " ").Append(Words[w]);
        }

        return JsonValue.Create(b.ToString());
    }

    /// <summary>
    /// The token ids of a line without literal text (format <c>tokens</c>): what <see cref="For"/> sends, for runs that
    /// take ids directly (the in-process engine's workload, <see cref="ServeBenchWorkload.FromTrace"/>).
    /// </summary>
    public int[] TokenIds(EndpointBenchTraceLine line, int index, int round) =>
        _format == Tokens && line.Prompt is null ? Draw(line, index, round) : throw new InvalidOperationException("token ids come from --prompt-format tokens and lines without prompt text");

    private int[] Draw(EndpointBenchTraceLine line, int index, int round)
    {
        var key = unchecked((_seed * 7919) + (round * 104729));
        var own = new Random(unchecked(key + (index * 2) + 1));  // odd: a line's own part; even: a group's prefix
        var prefix = line.Group is { } g && line.PrefixTokens > 0 ? Draw(new Random(unchecked(key + (g * 2))), line.PrefixTokens) : [];
        return [.. prefix, .. Draw(own, line.PromptTokens - prefix.Length)];
    }

    private int[] Draw(Random random, int count)
    {
        var values = new int[Math.Max(count, 0)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = _format == Tokens ? random.Next(_idStart, _idLimit) : random.Next(Words.Length);
        }

        return values;
    }

    private static (int Start, int Limit) ParseRange(string text)
    {
        var parts = text.Split(':');
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start) &&
               int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit > start
            ? (start, limit)
            : throw new ArgumentException($"--token-ids must be START:LIMIT with 0 <= START < LIMIT (got '{text}').");
    }
}
