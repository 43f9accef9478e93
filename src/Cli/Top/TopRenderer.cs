using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Cluster.Cli.Top;

/// <summary>Draws a <see cref="TopFrame"/> with Spectre.Console: a header, the router's table, one row per worker.</summary>
public static class TopRenderer
{
    private static readonly (string Outcome, string Column)[] Outcomes = [("ok", "OK"), ("error", "Errors"), ("cancelled", "Cancelled")];

    /// <param name="frame">What to draw.</param>
    /// <param name="plain">ASCII borders and no colour (<c>--once</c>, scripts, tests).</param>
    /// <param name="footer">A last line (the live view's "Ctrl+C quits").</param>
    public static IRenderable Render(TopFrame frame, bool plain, string footer = "")
    {
        ArgumentNullException.ThrowIfNull(frame);
        var items = new List<IRenderable>
        {
            new Markup($"[bold]cluster top[/]  router {Markup.Escape(frame.Router.Host.ToString())}  {frame.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC"
                + (frame.Window is { } w ? $"  rates over {w.TotalSeconds:F1} s" : "")),
            RouterTable(frame.Router, plain),
        };
        if (frame.Router.WorkersByRoleAndState.Count > 0)
        {
            items.Add(new Markup("Workers the router sees: " + Markup.Escape(string.Join(", ",
                frame.Router.WorkersByRoleAndState.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:F0}")))));
        }

        items.Add(WorkerTable(frame.Workers, plain));
        if (footer.Length > 0)
        {
            items.Add(new Markup($"[grey]{Markup.Escape(footer)}[/]"));
        }

        return new Rows(items);
    }

    /// <summary>The frame as plain text of <paramref name="width"/> columns (what <c>--once</c> prints).</summary>
    public static void WritePlain(TopFrame frame, TextWriter writer, int width = 160)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        console.Write(Render(frame, plain: true));
    }

    private static Table RouterTable(RouterView router, bool plain)
    {
        var table = NewTable(plain, ["Router", "Active", "Req/s", .. Outcomes.Select(o => o.Column), "SLO met/missed",
            "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "Latency over"]);
        if (router.Error is { } error)
        {
            table.AddRow([Markup.Escape(router.Host.Authority), $"[red]{Markup.Escape(error)}[/]", .. Enumerable.Repeat("", 10)]);
            return table;
        }

        var outcomes = Outcomes.Select(o => router.RequestsByOutcome.GetValueOrDefault(o.Outcome).ToString("F0", CultureInfo.InvariantCulture));
        table.AddRow([
            Markup.Escape(router.Host.Authority),
            router.Active.ToString("F0", CultureInfo.InvariantCulture),
            Number(router.RequestsPerSecond, "F1"),
            .. outcomes,
            $"{router.GoodputMet:F0}/{router.GoodputMissed:F0}",
            Seconds(router.Ttft.P50), Seconds(router.Ttft.P99), Seconds(router.Tpot.P50), Seconds(router.Tpot.P99),
            router.LatencyWindow,
        ]);
        return table;
    }

    private static Table WorkerTable(IReadOnlyList<WorkerView> workers, bool plain)
    {
        var table = NewTable(plain, ["Worker", "Role", "Running", "Waiting", "KV usage", "KV blocks used/free/cached", "Tokens/s", "Prefill rate tok/s", "KV sent/s", "KV received/s"]);
        if (workers.Count == 0)
        {
            table.AddRow(["(no --worker given)", .. Enumerable.Repeat("", 9)]);
        }

        foreach (var w in workers.OrderBy(w => w.Role, StringComparer.Ordinal).ThenBy(w => w.Host.ToString(), StringComparer.Ordinal))
        {
            if (w.Error is { } error)
            {
                table.AddRow([Markup.Escape(w.Host.Authority), "?", $"[red]{Markup.Escape(error)}[/]", .. Enumerable.Repeat("", 7)]);
                continue;
            }

            table.AddRow(
                Markup.Escape(w.Host.Authority),
                Markup.Escape(w.Role),
                w.Running.ToString("F0", CultureInfo.InvariantCulture),
                w.Waiting.ToString("F0", CultureInfo.InvariantCulture),
                (w.KvUsage * 100).ToString("F1", CultureInfo.InvariantCulture) + " %",
                string.Create(CultureInfo.InvariantCulture, $"{w.BlocksUsed:F0}/{w.BlocksFree:F0}/{w.BlocksCached:F0}"),
                Number(w.TokensPerSecond, "F0"),
                w.PrefillRate.ToString("F0", CultureInfo.InvariantCulture),
                Bytes(w.KvSentBytesPerSecond),
                Bytes(w.KvReceivedBytesPerSecond));
        }

        return table;
    }

    private static Table NewTable(bool plain, string[] columns)
    {
        var table = new Table().Border(plain ? TableBorder.Ascii : TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        table.Columns[0].LeftAligned();
        return table;
    }

    private static string Number(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Seconds(double? seconds) => seconds switch
    {
        null => "-",
        < 1 => (seconds.Value * 1000).ToString("F1", CultureInfo.InvariantCulture) + " ms",
        _ => seconds.Value.ToString("F2", CultureInfo.InvariantCulture) + " s",
    };

    private static string Bytes(double? perSecond) => perSecond switch
    {
        null => "-",
        < 1024 => perSecond.Value.ToString("F0", CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (perSecond.Value / 1024).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
        _ => (perSecond.Value / (1024 * 1024)).ToString("F1", CultureInfo.InvariantCulture) + " MiB",
    };
}
