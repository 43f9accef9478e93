using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cluster.Deploy.Tests.Infrastructure;

/// <summary>
/// A Dockerfile read into stages and instructions: enough to check what it copies and runs (line continuations,
/// comments, global ARG defaults in FROM, COPY flags, exec-form CMD/ENTRYPOINT). Not a full Dockerfile parser.
/// </summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(string path, IReadOnlyList<Stage> stages)
    {
        Path = path;
        Stages = stages;
    }

    public string Path { get; }

    public IReadOnlyList<Stage> Stages { get; }

    public Stage this[string name] => Stages.Single(s => s.Name == name);

    public static Dockerfile Load(string path)
    {
        var lines = new List<string>();
        var current = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (current.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }

            lines.Add(current + line);
            current = "";
        }

        var args = new Dictionary<string, string>();
        var stages = new List<Stage>();
        foreach (var line in lines)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var keyword = line[..space].ToUpperInvariant();
            var rest = line[(space + 1)..].Trim();
            if (keyword == "ARG" && stages.Count == 0)
            {
                var eq = rest.IndexOf('=', StringComparison.Ordinal);
                args[rest[..eq]] = rest[(eq + 1)..];
            }
            else if (keyword == "FROM")
            {
                var m = FromLine().Match(rest);
                var image = ArgReference().Replace(m.Groups["image"].Value, a => args[a.Groups[1].Value]);
                stages.Add(new Stage(image, m.Groups["name"].Success ? m.Groups["name"].Value : $"#{stages.Count}", []));
            }
            else
            {
                stages[^1].Instructions.Add(new Instruction(keyword, rest));
            }
        }

        return new Dockerfile(path, stages);
    }

    public sealed record Stage(string Image, string Name, List<Instruction> Instructions)
    {
        public IEnumerable<Copy> Copies => Instructions.Where(i => i.Keyword == "COPY").Select(i => Copy.Parse(i.Arguments));

        /// <summary>(project, output directory) of each <c>dotnet publish PROJECT ... -o DIR</c> this stage runs.</summary>
        public IEnumerable<(string Project, string Output)> Publishes => Instructions.Where(i => i.Keyword == "RUN")
            .Select(i => PublishCommand().Match(i.Arguments)).Where(m => m.Success)
            .Select(m => (m.Groups["project"].Value, m.Groups["out"].Value.TrimEnd('/')));

        /// <summary>ENTRYPOINT followed by CMD (exec form).</summary>
        public IReadOnlyList<string> Command => [.. Exec("ENTRYPOINT"), .. Exec("CMD")];

        public string? User => Instructions.LastOrDefault(i => i.Keyword == "USER")?.Arguments;

        private string[] Exec(string keyword) => Instructions.LastOrDefault(i => i.Keyword == keyword) is { } i
            ? JsonSerializer.Deserialize<string[]>(i.Arguments)!
            : [];
    }

    public sealed record Instruction(string Keyword, string Arguments);

    public sealed record Copy(string? From, IReadOnlyList<string> Sources, string Destination)
    {
        public static Copy Parse(string arguments)
        {
            var parts = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var from = parts.FirstOrDefault(p => p.StartsWith("--from=", StringComparison.Ordinal))?["--from=".Length..];
            var paths = parts.Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToList();
            return new Copy(from, paths[..^1], paths[^1]);
        }
    }

    [GeneratedRegex(@"^(--platform=\S+\s+)?(?<image>\S+)(\s+AS\s+(?<name>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"\$\{(\w+)\}")]
    private static partial Regex ArgReference();

    [GeneratedRegex(@"dotnet publish (?<project>\S+\.csproj)\b.*?\s-o\s+(?<out>\S+)")]
    private static partial Regex PublishCommand();
}
