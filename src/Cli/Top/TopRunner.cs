using Spectre.Console;

namespace Cluster.Cli.Top;

/// <summary>What <c>cluster top</c> watches and how often.</summary>
/// <param name="Router">The router's HTTP address (its <c>/metrics</c>).</param>
/// <param name="Workers">Workers' HTTP addresses; empty: the router's <c>/workers</c>, read again for every frame.</param>
/// <param name="Interval">Time between frames (the rate window).</param>
/// <param name="Iterations">Frames to draw before exiting (0: until Ctrl+C).</param>
/// <param name="ClusterToken">Bearer for <c>/metrics</c> when the cluster has a token.</param>
public sealed record TopOptions(Uri Router, IReadOnlyList<Uri> Workers, TimeSpan Interval, int Iterations, string? ClusterToken);

/// <summary>Runs <c>cluster top</c>: a live Spectre.Console view, or one plain-text frame (<c>--once</c>).</summary>
public static class TopRunner
{
    /// <summary>
    /// Scrapes every host twice, <see cref="TopOptions.Interval"/> apart (rates need two), and writes one plain frame
    /// to <paramref name="output"/>. Returns 0, or 1 when some host could not be read (the frame says which and why).
    /// </summary>
    public static async Task<int> OnceAsync(TopOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var scraper = new TopScraper(options.ClusterToken, ScrapeTimeout(options));
        var first = await ScrapeAsync(scraper, options, cancellationToken).ConfigureAwait(false);
        await Task.Delay(options.Interval, cancellationToken).ConfigureAwait(false);
        var second = await ScrapeAsync(scraper, options, cancellationToken).ConfigureAwait(false);
        TopRenderer.WritePlain(Frame(second, first), output);
        return second.Any(s => s.Error is not null) ? 1 : 0;
    }

    /// <summary>Redraws a frame every <see cref="TopOptions.Interval"/> on <paramref name="console"/> until cancelled (Ctrl+C) or the iterations are drawn.</summary>
    public static async Task<int> LiveAsync(TopOptions options, IAnsiConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        using var scraper = new TopScraper(options.ClusterToken, ScrapeTimeout(options));
        var footer = options.Iterations > 0 ? $"{options.Iterations} frames, every {options.Interval.TotalSeconds:0.##} s" : $"every {options.Interval.TotalSeconds:0.##} s; Ctrl+C quits";
        try
        {
            var previous = await ScrapeAsync(scraper, options, cancellationToken).ConfigureAwait(false);
            await console.Live(TopRenderer.Render(Frame(previous, null), plain: false, footer)).StartAsync(async live =>
            {
                using var timer = new PeriodicTimer(options.Interval);
                for (var drawn = 1; options.Iterations == 0 || drawn < options.Iterations; drawn++)
                {
                    await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
                    var now = await ScrapeAsync(scraper, options, cancellationToken).ConfigureAwait(false);
                    live.UpdateTarget(TopRenderer.Render(Frame(now, previous), plain: false, footer));
                    live.Refresh();
                    previous = now;
                }
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: the last frame stays on screen.
        }

        return 0;
    }

    // The router first, then each worker: the given ones, or those the router lists (a listing that failed is one more
    // row, with the reason, so --once exits 1).
    private static async Task<IReadOnlyList<TopScrape>> ScrapeAsync(TopScraper scraper, TopOptions options, CancellationToken cancellationToken)
    {
        if (options.Workers.Count > 0)
        {
            return await scraper.ScrapeAsync(options.Workers.Prepend(options.Router), cancellationToken).ConfigureAwait(false);
        }

        var (workers, error) = await scraper.DiscoverAsync(options.Router, cancellationToken).ConfigureAwait(false);
        var scrapes = await scraper.ScrapeAsync(workers.Prepend(options.Router), cancellationToken).ConfigureAwait(false);
        return error is null ? scrapes : [.. scrapes, new TopScrape(new Uri(options.Router, Router.Api.WorkersEndpoint.Path), DateTimeOffset.UtcNow, null, error)];
    }

    private static TopFrame Frame(IReadOnlyList<TopScrape> now, IReadOnlyList<TopScrape>? before) => TopFrame.From(now[0], [.. now.Skip(1)], before);

    private static TimeSpan ScrapeTimeout(TopOptions options) => options.Interval > TimeSpan.FromSeconds(2) ? options.Interval : TimeSpan.FromSeconds(2);
}
