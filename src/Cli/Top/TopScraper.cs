using System.Net.Http.Headers;
using System.Net.Http.Json;
using Cluster.Router.Api;

namespace Cluster.Cli.Top;

/// <summary>One host's <c>/metrics</c> at one moment: its page, or why it could not be read.</summary>
public sealed record TopScrape(Uri Host, DateTimeOffset At, MetricsPage? Page, string? Error);

/// <summary>Reads <c>/metrics</c> of every host in parallel (with the cluster token as a bearer when one is given).</summary>
public sealed class TopScraper : IDisposable
{
    private readonly HttpClient _http;

    public TopScraper(string? clusterToken, TimeSpan timeout)
    {
        _http = new HttpClient { Timeout = timeout };
        if (!string.IsNullOrEmpty(clusterToken))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", clusterToken);
        }
    }

    public async Task<IReadOnlyList<TopScrape>> ScrapeAsync(IEnumerable<Uri> hosts, CancellationToken cancellationToken) =>
        await Task.WhenAll(hosts.Select(h => ScrapeAsync(h, cancellationToken))).ConfigureAwait(false);

    /// <summary>
    /// The HTTP addresses of the workers the router at <paramref name="router"/> routes to (its <c>/workers</c>), or why
    /// they could not be read.
    /// </summary>
    public async Task<(IReadOnlyList<Uri> Workers, string? Error)> DiscoverAsync(Uri router, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri(router, WorkersEndpoint.Path), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var hint = response.StatusCode == System.Net.HttpStatusCode.Unauthorized ? " (set CLUSTER_TOKEN to the cluster token)" : "";
                return ([], $"{WorkersEndpoint.Path} answered {(int)response.StatusCode} {response.ReasonPhrase}{hint}: pass --worker URL for each worker instead");
            }

            var entries = await response.Content.ReadFromJsonAsync<WorkersEndpoint.Entry[]>(WorkersEndpoint.Json, cancellationToken).ConfigureAwait(false) ?? [];
            var unannounced = entries.Where(e => string.IsNullOrEmpty(e.Http)).Select(e => e.Id).ToList();
            var workers = entries.Where(e => !string.IsNullOrEmpty(e.Http)).Select(e => new Uri(e.Http)).Distinct().Order(Comparer<Uri>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()))).ToList();
            return (workers, unannounced.Count == 0 ? null : $"worker(s) {string.Join(", ", unannounced)} announced no HTTP address: pass --worker URL for them");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or UriFormatException && !cancellationToken.IsCancellationRequested)
        {
            return ([], $"{WorkersEndpoint.Path}: {(e is TaskCanceledException ? "no answer in time" : e.Message)}");
        }
    }

    private async Task<TopScrape> ScrapeAsync(Uri host, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri(host, "/metrics"), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var hint = response.StatusCode == System.Net.HttpStatusCode.Unauthorized ? " (set CLUSTER_TOKEN to the cluster token)" : "";
                return new TopScrape(host, DateTimeOffset.UtcNow, null, $"/metrics answered {(int)response.StatusCode} {response.ReasonPhrase}{hint}");
            }

            var page = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return new TopScrape(host, DateTimeOffset.UtcNow, MetricsPage.Parse(page), null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new TopScrape(host, DateTimeOffset.UtcNow, null, e is TaskCanceledException ? "no answer in time" : e.Message);
        }
    }

    public void Dispose() => _http.Dispose();
}
