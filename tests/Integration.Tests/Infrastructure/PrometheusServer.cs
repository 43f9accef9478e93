using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Cluster.Integration.Tests.Infrastructure;

/// <summary>
/// A real Prometheus (Debian package <c>prometheus</c>) on 127.0.0.1 with a temporary configuration and data folder,
/// scraping the given targets every second with the cluster token. Killed and its folder deleted on dispose.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string folder, Uri address)
    {
        (_process, _folder) = (process, folder);
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>Where a Debian tool lives, or a failure naming the package.</summary>
    public static string Tool(string name)
    {
        var path = Path.Combine("/usr/bin", name);
        Assert.True(File.Exists(path), $"{path} is missing: install the Debian package 'prometheus' (./cluster.sh setup does).");
        return path;
    }

    /// <summary>Starts Prometheus scraping <paramref name="targets"/> (job name → HTTP base addresses) with <paramref name="bearer"/>.</summary>
    public static PrometheusServer Start(IReadOnlyDictionary<string, Uri[]> targets, string bearer)
    {
        var folder = Directory.CreateTempSubdirectory("cluster-prometheus-").FullName;
        var port = FreePort();
        var jobs = string.Join("", targets.Select(t => $"""
              - job_name: {t.Key}
                authorization:
                  type: Bearer
                  credentials: {bearer}
                static_configs:
                  - targets: [{string.Join(", ", t.Value.Select(u => $"'{u.Authority}'"))}]

            """));
        var config = Path.Combine(folder, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
            {jobs}
            """);
        var start = new ProcessStartInfo(Tool("prometheus"))
        {
            ArgumentList =
            {
                $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                $"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h", "--log.level=warn",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new PrometheusServer(process, folder, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>An instant query through the HTTP API: the result's series as (labels, value).</summary>
    public async Task<IReadOnlyList<(string Labels, double Value)>> QueryAsync(string expression, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("/api/v1/query?query=" + Uri.EscapeDataString(expression), UriKind.Relative), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"query failed ({(int)response.StatusCode}): {expression}\n{body}");
        using var json = JsonDocument.Parse(body);
        var data = json.RootElement.GetProperty("data");
        var result = data.GetProperty("result");
        if (data.GetProperty("resultType").GetString() == "scalar")
        {
            return [("", ParseValue(result))];
        }

        return [.. result.EnumerateArray().Select(s => (s.GetProperty("metric").ToString(), ParseValue(s.GetProperty("value"))))];
    }

    /// <summary>True once Prometheus answers and every target's last scrape succeeded.</summary>
    public async Task<bool> AllUpAsync(int targets, CancellationToken cancellationToken)
    {
        try
        {
            using (var ready = await _http.GetAsync(new Uri("/-/ready", UriKind.Relative), cancellationToken))
            {
                if (!ready.IsSuccessStatusCode)
                {
                    return false; // still starting (503)
                }
            }

            var up = await QueryAsync("up", cancellationToken);
            return up.Count == targets && up.All(u => u.Value == 1);
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static double ParseValue(JsonElement pair) => pair[1].GetString() switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var text => double.Parse(text!, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
