using Spectre.Console;

namespace Cluster.Cli.Bench;

/// <summary>
/// Progress of one <c>bench serve --endpoint</c> phase while it runs: a Spectre.Console bar on an interactive terminal,
/// otherwise a line every few seconds (logs and CI), until the phase's requests have all finished.
/// </summary>
internal static class EndpointBenchProgress
{
    private static readonly TimeSpan LineEvery = TimeSpan.FromSeconds(5);

    public static async Task ShowAsync(Task phase, string title, int total, Func<(int Done, int Failed)> counts, bool bar, TextWriter log, CancellationToken ct)
    {
        if (bar && AnsiConsole.Profile.Capabilities.Interactive)
        {
            await AnsiConsole.Progress().AutoClear(true).StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: total);
                while (!phase.IsCompleted)
                {
                    await Task.WhenAny(phase, Task.Delay(200, ct));
                    var (done, failed) = counts();
                    task.Value = done;
                    task.Description = Markup.Escape(failed == 0 ? title : $"{title} ({failed} failed)");
                }

                task.Value = total;
            });
            return;
        }

        using var timer = new PeriodicTimer(LineEvery);
        while (!phase.IsCompleted)
        {
            var tick = timer.WaitForNextTickAsync(ct).AsTask();
            if (await Task.WhenAny(phase, tick) != tick)
            {
                break;
            }

            var (done, failed) = counts();
            await log.WriteLineAsync($"  {title}: {done}/{total} done, {failed} failed");
        }
    }
}
