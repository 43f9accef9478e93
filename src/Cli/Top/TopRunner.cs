using Spectre.Console;

namespace Cluster.Cli.Top;

/// <summary>What <c>cluster top</c> watches and how often.</summary>
/// <param name="Router">The router's HTTP address (its <c>/metrics</c>).</param>
/// <param name="Workers">Workers' HTTP addresses.</param>
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
        var first = await scraper.ScrapeAsync(Hosts(options), cancellationToken).ConfigureAwait(false);
        await Task.Delay(options.Interval, cancellationToken).ConfigureAwait(false);
        var second = await scraper.ScrapeAsync(Hosts(options), cancellationToken).ConfigureAwait(false);
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
            var previous = await scraper.ScrapeAsync(Hosts(options), cancellationToken).ConfigureAwait(false);
            await console.Live(TopRenderer.Render(Frame(previous, null), plain: false, footer)).StartAsync(async live =>
            {
                using var timer = new PeriodicTimer(options.Interval);
                for (var drawn = 1; options.Iterations == 0 || drawn < options.Iterations; drawn++)
                {
                    await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
                    var now = await scraper.ScrapeAsync(Hosts(options), cancellationToken).ConfigureAwait(false);
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

    private static IEnumerable<Uri> Hosts(TopOptions options) => options.Workers.Prepend(options.Router);

    private static TopFrame Frame(IReadOnlyList<TopScrape> now, IReadOnlyList<TopScrape>? before) => TopFrame.From(now[0], [.. now.Skip(1)], before);

    private static TimeSpan ScrapeTimeout(TopOptions options) => options.Interval > TimeSpan.FromSeconds(2) ? options.Interval : TimeSpan.FromSeconds(2);
}
