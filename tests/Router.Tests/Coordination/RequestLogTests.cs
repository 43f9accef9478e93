using Cluster.Router.Coordination;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>The one structured log line per finished request (ARCHITECTURE §9 "Logs"), and a client that goes away is no error.</summary>
public sealed class RequestLogTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RunAsync_Disaggregated_OneInformationLineWithIdModelOutcomeTokensTtftDurationAndWorkers()
    {
        var logs = new CapturedLogs();
        await using var harness = Create(configure: s => s.AddLogging(b => b.AddProvider(logs)));
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        var request = Request(promptTokens: 40, maxTokens: 3);

        await CollectAsync(harness.Coordinator.RunAsync(request)).WaitAsync(Bound);

        var line = Assert.Single(logs.Finished(request.Id.Value));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Null(line.Exception);
        Assert.Equal(request.Label, line.State["Label"]);
        Assert.Equal(Model.Value, line.State["Model"]);
        Assert.Equal("ok", line.State["Outcome"]);
        Assert.Equal("length", line.State["FinishReason"]);
        Assert.Equal(40, line.State["PromptTokens"]);
        Assert.Equal(0, line.State["CachedTokens"]);
        Assert.Equal(3, line.State["OutputTokens"]);
        var ttft = Assert.IsType<double>(line.State["TtftMs"]);
        Assert.InRange(ttft, double.Epsilon, Assert.IsType<double>(line.State["DurationMs"]));
        Assert.Equal(["d1", "p1"], ((string)line.State["Workers"]!).Split(',').Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RunAsync_ClientGoesAway_LoggedCancelledAtInformation_NoErrorOrStackTrace()
    {
        var logs = new CapturedLogs();
        await using var harness = Create(configure: s => s.AddLogging(b => b.AddProvider(logs)));
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        decode.HoldAfterFirstToken = new TaskCompletionSource().Task;
        using var cts = new CancellationTokenSource();
        var request = Request(maxTokens: 50);

        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var _ in harness.Coordinator.RunAsync(request, cts.Token).OfType<CoordinatorEvent.Tokens>())
            {
                await cts.CancelAsync();
            }
        }).WaitAsync(Bound);

        Assert.True(error is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled }, $"expected a cancellation, got {error}");
        var line = Assert.Single(logs.Finished(request.Id.Value));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal("cancelled", line.State["Outcome"]);
        Assert.DoesNotContain(logs.All, e => e.Level >= LogLevel.Error || e.Exception is not null);
    }

    private sealed record Entry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> State, Exception? Exception);

    /// <summary>Every log entry of the harness, with its structured values.</summary>
    private sealed class CapturedLogs : ILoggerProvider
    {
        private readonly List<Entry> _entries = [];

        public IReadOnlyList<Entry> All
        {
            get { lock (_entries) { return [.. _entries]; } }
        }

        /// <summary>The "finished" lines of <paramref name="requestId"/>.</summary>
        public IEnumerable<Entry> Finished(string requestId) => All.Where(e =>
            e.State.TryGetValue("RequestId", out var id) && Equals(id, requestId) && e.State.ContainsKey("DurationMs"));

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state as IEnumerable<KeyValuePair<string, object?>> ?? [];
                var entry = new Entry(category, logLevel, formatter(state, exception), values.ToDictionary(kv => kv.Key, kv => kv.Value), exception);
                lock (owner._entries) { owner._entries.Add(entry); }
            }
        }
    }
}
