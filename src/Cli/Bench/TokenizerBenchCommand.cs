using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cluster.Tokenization;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench tokenizer</c>: single-thread encode throughput (MB/s, tokens/s) of our tokenizer on a
/// multi-megabyte mixed corpus, next to the JavaScript reference (gpt-3-encoder / @lenml/tokenizers) run by
/// node on the same documents in the same run. Token totals must agree, or the run fails.
/// </summary>
internal static class TokenizerBenchCommand
{
    public static Command Create()
    {
        var families = new Option<string>("--family") { Description = "gpt2, llama2, llama3, llama3_1, qwen3, gemma3, deepseek_v3 (comma-separated) or all", DefaultValueFactory = _ => "all" };
        var size = new Option<int>("--megabytes") { Description = "Corpus size in MB", DefaultValueFactory = _ => 4 };
        var reference = new Option<string?>("--reference-dir") { Description = "tests/Tokenization.Tests/reference (found upwards from the current directory by default)" };
        var command = new Command("tokenizer", "Tokenizer encode throughput vs the JavaScript reference on the same corpus.") { families, size, reference };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(reference) ?? FindReferenceDir();
            var modules = Path.Combine(dir, "node_modules");
            if (!Directory.Exists(modules))
                throw new InvalidOperationException($"{modules} is missing: run `npm ci --prefix {dir}`");
            var list = parse.GetValue(families) is "all" or null ? ["gpt2", "llama2", "llama3", "qwen3", "gemma3", "deepseek_v3"] : parse.GetValue(families)!.Split(',');
            var docs = TokenizerBenchCorpus.Build(parse.GetValue(size));
            var corpusFile = Path.Combine(Path.GetTempPath(), $"cluster-tokenizer-bench-{Environment.ProcessId}.json");
            File.WriteAllText(corpusFile, JsonSerializer.Serialize(docs), new UTF8Encoding(false));
            try
            {
                var bytes = docs.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
                Console.WriteLine($"corpus: {docs.Count} documents, {bytes / 1e6:F2} MB (UTF-8), single thread, after one warm-up pass each");
                Console.WriteLine($"{"family",-12} {"ours MB/s",10} {"ours tok/s",12} {"JS MB/s",9} {"JS tok/s",11} {"ratio",7}  tokens");
                var failed = false;
                foreach (var family in list)
                {
                    var tokenizer = Load(modules, family);
                    var (ours, tokens) = Measure(tokenizer, docs);
                    var js = RunNode(dir, family, corpusFile);
                    var jsSeconds = js.GetProperty("seconds").GetDouble();
                    var jsTokens = js.GetProperty("tokens").GetInt64();
                    var agree = jsTokens == tokens;
                    failed |= !agree;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{family,-12} {bytes / 1e6 / ours,10:F2} {tokens / ours,12:F0} {bytes / 1e6 / jsSeconds,9:F2} {jsTokens / jsSeconds,11:F0} {jsSeconds / ours,6:F2}x  {tokens}{(agree ? " (equal)" : $" != JS {jsTokens}")}"));
                }
                return failed ? 1 : 0;
            }
            finally
            {
                File.Delete(corpusFile);
            }
        });
        return command;
    }

    private static Tokenizer Load(string modules, string family) => family == "gpt2"
        ? Tokenizer.FromGpt2Files(File.ReadAllText(Path.Combine(modules, "gpt-3-encoder", "encoder.json")), File.ReadAllText(Path.Combine(modules, "gpt-3-encoder", "vocab.bpe")))
        : Tokenizer.FromDirectory(Path.Combine(modules, "@lenml", $"tokenizer-{family}", "models"));

    private static (double Seconds, long Tokens) Measure(Tokenizer tokenizer, List<string> docs)
    {
        foreach (var d in docs) tokenizer.Encode(d, addSpecialTokens: false); // warm-up: JIT and piece cache, like the JS side
        long tokens = 0;
        var sw = Stopwatch.StartNew();
        foreach (var d in docs) tokens += tokenizer.Encode(d, addSpecialTokens: false).Length;
        return (sw.Elapsed.TotalSeconds, tokens);
    }

    private static JsonElement RunNode(string dir, string family, string corpusFile)
    {
        var psi = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "bench.js", family, corpusFile }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"node bench.js {family} failed: {stderr.Result}");
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private static string FindReferenceDir()
    {
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "Tokenization.Tests", "reference");
            if (File.Exists(Path.Combine(candidate, "bench.js"))) return candidate;
        }
        throw new InvalidOperationException("tests/Tokenization.Tests/reference not found above the current directory; pass --reference-dir");
    }
}
