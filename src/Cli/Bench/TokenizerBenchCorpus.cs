using System.Text;

namespace Cluster.Cli.Bench;

/// <summary>
/// A deterministic multi-megabyte mixed corpus for <c>cluster bench tokenizer</c>: documents of English
/// prose, source code, numbers, whitespace runs, CJK, Arabic, Cyrillic and emoji, each 1–8 KB (prompt-sized).
/// </summary>
internal static class TokenizerBenchCorpus
{
    private static readonly string[] Words =
    [
        "the", "model", "cluster", "prefill", "decode", "token", "cache", "request", "router", "latency", "throughput",
        "worker", "attention", "memory", "batch", "schedule", "transfer", "block", "prefix", "hash", "stream", "we'll",
        "it's", "don't", "They're", "Disaggregation", "separates", "compute-bound", "memory-bound", "phases", "of", "and",
        "inference", "serving", "production", "quickly", "carefully", "between", "without", "although", "because",
    ];

    private static readonly string[] Code =
    [
        "for (var i = 0; i < n; i++) { sum += a[i] * b[i]; }\n", "def forward(self, x):\n    return self.proj(x) + x\n",
        "    if (cache.TryGetValue(key, out var value)) return value;\n", "{\"id\": 42, \"name\": \"node-7\", \"tags\": [\"a\", \"b\"]}\n",
        "SELECT block_hash, worker_id FROM blocks WHERE model = 'llama';\n", "\t\treturn Task.FromResult(result);\n",
    ];

    private static readonly string[] Foreign =
    [
        "\u4eca\u5929\u5929\u6c14\u5f88\u597d\uff0c\u6211\u4eec\u53bb\u516c\u56ed\u5427\u3002", "\u65e5\u672c\u8a9e\u306e\u6587\u7ae0\u3067\u3059\u3002",
        "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430?",
        "\ud83d\ude00\ud83d\ude80 \ud83d\udc4d\ud83c\udffd", "\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc785\ub2c8\ub2e4.", "caf\u00e9 na\u00efve \u00fcber",
    ];

    public static List<string> Build(int megabytes, int seed = 20261123)
    {
        var random = new Random(seed);
        var documents = new List<string>();
        long bytes = 0;
        while (bytes < megabytes * 1_000_000L)
        {
            var doc = Document(random, 1024 + random.Next(7 * 1024));
            documents.Add(doc);
            bytes += Encoding.UTF8.GetByteCount(doc);
        }
        return documents;
    }

    private static string Document(Random random, int targetChars)
    {
        var sb = new StringBuilder(targetChars + 256);
        while (sb.Length < targetChars)
        {
            var pick = random.Next(100);
            if (pick < 60)
            {
                for (var w = 0; w < 8 + random.Next(20); w++) sb.Append(w == 0 ? "" : " ").Append(Words[random.Next(Words.Length)]);
                sb.Append(random.Next(4) == 0 ? ".\n" : ". ");
            }
            else if (pick < 75) sb.Append(Code[random.Next(Code.Length)]);
            else if (pick < 85) sb.Append(' ').Append(random.NextInt64(1, 10_000_000_000)).Append(random.Next(2) == 0 ? ", " : ".");
            else if (pick < 92) sb.Append(' ', 1 + random.Next(8)).Append('\n', random.Next(3));
            else sb.Append(' ').Append(Foreign[random.Next(Foreign.Length)]);
        }
        return sb.ToString();
    }
}
