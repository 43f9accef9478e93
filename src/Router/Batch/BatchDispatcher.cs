using Cluster.ClusterState;
using Cluster.Router.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Batch;

/// <summary>
/// Sends a planned batch at low priority: at most <c>Batch:MaxConcurrency</c> requests in flight, only
/// <c>Batch:ConcurrencyUnderOnlineLoad</c> while online requests run or ran within <c>Batch:OnlineGracePeriod</c> (<see cref="OnlineLoad"/>). A group's leader goes
/// first; its followers are released once its first token arrived (the shared prefix is then cached on the worker the
/// cache-aware policy sends them to) and run before any new leader. Overload and unavailability answers are retried;
/// any other failure is the request's error line. Cancellation stops dispatching and cancels what runs (those requests
/// have no result: they run again if the batch resumes).
/// </summary>
internal sealed partial class BatchDispatcher(BatchRequestRunner runner, OnlineLoad load, IOptions<BatchOptions> options, BatchInstruments instruments,
    IPrefixIndex index, ILogger<BatchDispatcher> logger)
{
    private static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest wait, after a leader's first token, for the prefix index to show its prefix (workers publish every 25 ms).</summary>
    private static readonly TimeSpan PrefixWait = TimeSpan.FromMilliseconds(250);

    public async Task RunAsync(IReadOnlyList<BatchGroup> plan, IReadOnlyDictionary<int, PreparedBatchRequest> requests,
        Func<PreparedBatchRequest, BatchResult, Task> save, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var leaders = new Queue<BatchGroup>(plan);
        var ready = new Queue<PreparedBatchRequest>();
        var running = new List<Task>();
        var inFlight = 0;
        var releasing = 0; // groups whose followers wait for their prefix to show in the index
        using var wake = new SemaphoreSlim(0);
        void Wake() => wake.Release();
        load.Changed += Wake;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                PreparedBatchRequest? next = null;
                Action? prefilled = null;
                lock (ready)
                {
                    var limit = load.Busy(o.OnlineInFlightThreshold, o.OnlineGracePeriod) ? o.ConcurrencyUnderOnlineLoad : o.MaxConcurrency;
                    if (ready.Count == 0 && leaders.Count == 0 && Volatile.Read(ref inFlight) == 0 && Volatile.Read(ref releasing) == 0)
                    {
                        break;
                    }

                    if (Volatile.Read(ref inFlight) < limit)
                    {
                        if (ready.Count > 0)
                        {
                            next = ready.Dequeue();
                        }
                        else if (leaders.Count > 0)
                        {
                            var group = leaders.Dequeue();
                            next = requests[group.Indices[0]];
                            var followers = group.Indices.Skip(1).Select(i => requests[i]).ToList();
                            var released = 0;
                            var model = next.Prepared.Model.Id;
                            prefilled = () =>
                            {
                                if (Interlocked.Exchange(ref released, 1) == 0 && followers.Count > 0)
                                {
                                    Interlocked.Increment(ref releasing);
                                    _ = ReleaseAsync();
                                }
                            };

                            async Task ReleaseAsync()
                            {
                                await WaitForPrefixAsync(model, group.Prefix, cancellationToken);
                                lock (ready)
                                {
                                    followers.ForEach(ready.Enqueue);
                                    Interlocked.Decrement(ref releasing);
                                }

                                Wake();
                            }
                        }
                    }
                }

                if (next is null)
                {
                    try
                    {
                        await wake.WaitAsync(Recheck, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }

                    continue;
                }

                Interlocked.Increment(ref inFlight);
                running.Add(RunOneAsync(next, prefilled, save, cancellationToken).ContinueWith(_ =>
                {
                    Interlocked.Decrement(ref inFlight);
                    Wake();
                }, TaskScheduler.Default));
                running.RemoveAll(t => t.IsCompleted);
            }

            await Task.WhenAll(running);
        }
        finally
        {
            load.Changed -= Wake;
        }
    }

    /// <summary>
    /// Until a worker holds the whole shared prefix per the prefix index (so the cache-aware policy sends the followers
    /// there), at most <see cref="PrefixWait"/>; the followers go anyway after it (the prefix may not be cacheable, or
    /// the index unavailable).
    /// </summary>
    private async Task WaitForPrefixAsync(Cluster.Core.Ids.ModelId model, IReadOnlyList<Cluster.Core.Hashing.BlockHash> prefix, CancellationToken cancellationToken)
    {
        if (prefix.Count == 0)
        {
            return;
        }

        var until = Environment.TickCount64 + (long)PrefixWait.TotalMilliseconds;
        try
        {
            while (Environment.TickCount64 < until)
            {
                var overlap = await index.FindOverlapAsync(model, prefix, cancellationToken);
                if (!overlap.IndexAvailable || overlap.Blocks.Values.Any(n => n >= prefix.Count))
                {
                    return;
                }

                await Task.Delay(10, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // cancelled: the followers are released and end at once
        }
    }

    private async Task RunOneAsync(PreparedBatchRequest request, Action? prefilled, Func<PreparedBatchRequest, BatchResult, Task> save,
        CancellationToken cancellationToken)
    {
        instruments.Started();
        try
        {
            var result = await ExecuteAsync(request, prefilled, cancellationToken);
            if (result is not null)
            {
                await save(request, result);
                LogSaved(logger, request.RequestId, result.Ok ? "completed" : "failed");
            }
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or ApiException)
        {
            // cancelled: no result, the request runs again if the batch resumes
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogUnexpected(logger, request.RequestId, e);
        }
        finally
        {
            instruments.Ended();
            prefilled?.Invoke(); // a leader that failed still lets its group go on
        }
    }

    private async Task<BatchResult?> ExecuteAsync(PreparedBatchRequest request, Action? prefilled, CancellationToken cancellationToken)
    {
        var id = request.RequestId;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var body = await runner.RunAsync(request, prefilled, cancellationToken);
                return new BatchResult(request.Line.Index, true,
                    BatchLines.Output(id, request.Line.CustomId, 200, request.Prepared.Label, body));
            }
            catch (ApiException e) when (Retryable(e) && attempt < options.Value.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                var wait = e.RetryAfter is { } pushback && pushback > TimeSpan.Zero ? pushback : TimeSpan.FromMilliseconds(200 * attempt);
                await Task.Delay(wait, cancellationToken);
            }
            catch (ApiException e) when (!cancellationToken.IsCancellationRequested)
            {
                var (status, code, body) = BatchRequestRunner.Describe(e);
                return new BatchResult(request.Line.Index, false,
                    BatchLines.Error(id, request.Line.CustomId, code, $"Line {request.Line.LineNumber}: {e.Message}", status, body));
            }
        }
    }

    /// <summary>Unavailable, or overload with a pushback (no pushback: the request can never fit, retrying cannot help).</summary>
    private static bool Retryable(ApiException e) =>
        e.Kind == ApiErrorKind.Unavailable || (e.Kind == ApiErrorKind.ResourceExhausted && e.RetryAfter is { } wait && wait >= TimeSpan.Zero);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Batch request {RequestId} {Outcome}, result saved")]
    private static partial void LogSaved(ILogger logger, string requestId, string outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "Batch request {RequestId} failed unexpectedly; it runs again when the batch resumes")]
    private static partial void LogUnexpected(ILogger logger, string requestId, Exception exception);
}
