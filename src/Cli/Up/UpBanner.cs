using System.Text;

namespace Cluster.Cli.Up;

/// <summary>
/// What <c>cluster up</c> prints once the cluster answers: endpoints, then how to call it (curl, OpenAI clients, .NET SDK).
/// The API key itself is never printed (output ends up in logs): the examples read it from <c>$CLUSTER_API_KEY</c>.
/// </summary>
public static class UpBanner
{
    public static string Render(IRunningCluster cluster)
    {
        var spec = cluster.Spec;
        var model = spec.EffectiveModelId;
        var http = cluster.RouterHttp.ToString().TrimEnd('/');
        var grpc = cluster.RouterGrpc.ToString().TrimEnd('/');
        var keyed = spec.ApiKey.Length > 0;
        var auth = keyed ? " -H \"Authorization: Bearer $CLUSTER_API_KEY\"" : "";
        var b = new StringBuilder();
        b.AppendLine($"Cluster up ({cluster.Mode}); model '{model}' from {spec.ModelPath}");
        b.AppendLine($"  router    gRPC {grpc} (cluster.v1.Inference, h2c)   HTTP {http} (OpenAI /v1, /readyz, /metrics)");
        foreach (var r in (cluster as ProcessCluster)?.Routers.Skip(1) ?? [])
        {
            b.AppendLine($"  {r.Name,-9} gRPC {r.Grpc.ToString().TrimEnd('/')} (same router tier)   HTTP {r.Http.ToString().TrimEnd('/')}");
        }

        foreach (var w in cluster.Workers)
        {
            b.AppendLine($"  {w.Name,-9} gRPC {w.Grpc.ToString().TrimEnd('/')}   HTTP {w.Http.ToString().TrimEnd('/')}{(w.LogPath is null ? "" : $"   log {w.LogPath}")}");
        }

        b.Append(Placement(spec));
        b.AppendLine();
        if (keyed)
        {
            b.AppendLine("The router requires the API key you gave; the examples read it from CLUSTER_API_KEY (export it first).");
        }

        b.AppendLine("curl (streamed chat):");
        b.AppendLine($"  curl -N {http}/v1/chat/completions -H 'Content-Type: application/json'{auth} \\");
        b.AppendLine($"    -d '{{\"model\":\"{model}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello\"}}],\"max_tokens\":32,\"stream\":true}}'");
        b.AppendLine($"  curl {http}/v1/models{auth}");
        b.AppendLine();
        b.AppendLine("OpenAI Python client (pip install openai):");
        b.AppendLine(keyed ? "  import os; from openai import OpenAI" : "  from openai import OpenAI");
        b.AppendLine($"  client = OpenAI(base_url=\"{http}/v1\", api_key={(keyed ? "os.environ[\"CLUSTER_API_KEY\"]" : "\"none\"")})");
        b.AppendLine($"  for chunk in client.chat.completions.create(model=\"{model}\", messages=[{{\"role\": \"user\", \"content\": \"Hello\"}}], max_tokens=32, stream=True):");
        b.AppendLine("      print(chunk.choices[0].delta.content or \"\", end=\"\")");
        b.AppendLine();
        b.AppendLine("OpenAI Node client (npm install openai):");
        b.AppendLine($"  const client = new (require('openai').default)({{ baseURL: '{http}/v1', apiKey: {(keyed ? "process.env.CLUSTER_API_KEY" : "'none'")} }});");
        b.AppendLine($"  const r = await client.completions.create({{ model: '{model}', prompt: 'Hello', max_tokens: 32 }}); console.log(r.choices[0].text);");
        b.AppendLine();
        b.AppendLine(".NET SDK (src/Client, package Cluster.Client):");
        b.AppendLine($"  using var client = new ClusterClient(new Uri(\"{grpc}\"));");
        b.AppendLine("  await foreach (var chunk in client.GenerateAsync(\"Hello\")) Console.Write(chunk.Text);");
        return b.ToString();
    }

    /// <summary>
    /// Where the workers run, one line per device: e.g. <c>cuda:0  prefill-1 (alone on it)</c> and
    /// <c>cuda:1  decode-1, decode-2 share it: each may use 50 % of its memory (KvCache:DeviceShare)</c>.
    /// </summary>
    public static string Placement(ClusterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var b = new StringBuilder();
        foreach (var device in spec.Placement.GroupBy(p => p.Device))
        {
            var workers = string.Join(", ", device.Select(p => p.Worker));
            var note = device.First().Share is { } share
                ? $" share it: each may use {(share * 100).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} % of its memory (KvCache:DeviceShare; --set KvCache:DeviceShare=… or KvCache:NumBlocks=… to change)"
                : device.Key == "cpu" ? "" : device.Count() == 1 ? " (alone on it)" : " (cache sized by --set)";
            b.AppendLine($"  device {device.Key,-7} {workers}{note}");
        }

        return b.ToString();
    }
}
