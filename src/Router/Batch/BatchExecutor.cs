using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Cluster.Core.Hashing;
using Cluster.Router.Api;
using Cluster.Router.Coordination;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Batch;

/// <summary>
/// Runs batches one after the other in the background: validates and tokenizes the input (bad lines become error
/// lines), skips every request whose result is already stored (a restart resumes), plans the order
/// (<see cref="BatchScheduler"/>) and dispatches it through <see cref="BatchDispatcher"/> at low priority, saving each
/// result as it finishes; then writes the output and error files. Cancel stops new work and cancels what runs. A batch
/// not finished by its <c>expires_at</c> stops the same way and ends <c>expired</c>: the requests not done get
/// <c>batch_expired</c> error lines. Every rescan also deletes the files of batches ended over <c>Batch:ResultRetention</c> ago.
/// </summary>
internal sealed partial class BatchExecutor(
    BatchJobs jobs, BatchRequestRunner runner, BatchDispatcher dispatcher, IOptions<BatchOptions> options,
    IOptions<RoutingOptions> routing, BatchInstruments instruments, ILogger<BatchExecutor> logger) : BackgroundService
{
    /// <summary>How long a router's right to run a batch lasts without renewal (renewed every third of it).</summary>
    internal static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(6);

    /// <summary>How often unfinished batches are looked for (one whose router died is taken over after its lease expires).</summary>
    internal static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(5);

    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();
    private readonly ConcurrentDictionary<string, bool> _queued = new();
    private readonly string _owner = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<string, BatchCounts> _counts = new();

    private IBatchStore Store => jobs.Store;

    /// <summary>The request counts of a batch running on this router now (fresher than the stored job's), else null.</summary>
    public BatchRequestCounts? LiveCounts(string id) => _counts.TryGetValue(id, out var counts) ? counts.Snapshot : null;

    /// <summary>Makes the executor look at a batch (new, or cancelling while queued).</summary>
    public void Enqueue(string id)
    {
        if (_queued.TryAdd(id, true))
        {
            _queue.Writer.TryWrite(id);
        }
    }

    /// <summary>Stops a running batch (its status is already <c>cancelling</c>); a queued one is finalized when reached.</summary>
    public void Cancel(string id)
    {
        if (_running.TryGetValue(id, out var cts))
        {
            cts.Cancel();
        }
        else
        {
            Enqueue(id);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await ResumeAsync(stoppingToken);
        _ = RescanAsync(stoppingToken);
        await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            _queued.TryRemove(id, out _);
            try
            {
                await RunAsync(id, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The store failed (e.g. Redis away): try this batch again shortly.
                LogRetry(logger, id, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                Enqueue(id);
            }
        }
    }

    private async Task RescanAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RescanInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await ResumeAsync(stoppingToken);
                    await SweepAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRetry(logger, "(rescan)", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>Every unfinished batch in the store not running here, oldest first (a restarted router picks them up).</summary>
    private async Task ResumeAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                var all = await Store.ListBatchesAsync(stoppingToken);
                instruments.Statuses(all);
                foreach (var job in all.Where(j => !BatchStatus.IsFinal(j.Status) && !_running.ContainsKey(j.Id)).OrderBy(j => j.CreatedAt))
                {
                    Enqueue(job.Id);
                }

                return;
            }
            catch (BatchStoreException e)
            {
                LogRetry(logger, "(list)", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task RunAsync(string id, CancellationToken stoppingToken)
    {
        var job = await Store.GetBatchAsync(id, stoppingToken);
        if (job is null || BatchStatus.IsFinal(job.Status))
        {
            return;
        }

        if (!await Store.TryLeaseAsync(id, _owner, LeaseTtl, stoppingToken))
        {
            LogLeasedElsewhere(logger, id);
            return; // another router runs it; the rescan looks again
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var renewing = new CancellationTokenSource();
        var lost = false;
        _running[id] = cts;
        var renew = RenewAsync(id, cts, () => lost = true, renewing.Token);

        // The completion window: at expires_at the run stops as for a cancel, and FinalizeAsync ends the batch expired.
        var expiresIn = job.ExpiresAt is { } at ? DateTimeOffset.FromUnixTimeSeconds(at) - jobs.Clock.GetUtcNow() : Timeout.InfiniteTimeSpan;
        var overdue = job.ExpiresAt is not null && expiresIn <= TimeSpan.Zero;
        var timedOut = false;
        using var expiry = job.ExpiresAt is null || overdue ? null : jobs.Clock.CreateTimer(_ =>
        {
            Volatile.Write(ref timedOut, true);
            Stop(cts);
        }, null, expiresIn, Timeout.InfiniteTimeSpan);
        if ((await Store.GetBatchAsync(id, stoppingToken))?.Status == BatchStatus.Cancelling)
        {
            // cancelled after this run read the job but before it was registered: the API's Cancel found nothing to stop
            await cts.CancelAsync();
        }

        try
        {
            if (job.Status != BatchStatus.Cancelling && job.Status != BatchStatus.Finalizing && !overdue)
            {
                try
                {
                    if (!await ExecuteRequestsAsync(job, cts.Token))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // cancelled by the API while validating or planning: finalized below as cancelled
                }
            }

            if (stoppingToken.IsCancellationRequested || lost)
            {
                return; // the router stops (the batch resumes at its next start), or another router took it over
            }

            await FinalizeAsync(id, overdue || Volatile.Read(ref timedOut), stoppingToken);
        }
        finally
        {
            await renewing.CancelAsync();
            await renew;
            _running.TryRemove(id, out _);
            _counts.TryRemove(id, out _);
            if (!lost)
            {
                await Store.ReleaseLeaseAsync(id, _owner, CancellationToken.None);
            }

            instruments.Statuses(await Store.ListBatchesAsync(CancellationToken.None));
        }
    }

    private static void Stop(CancellationTokenSource run)
    {
        try
        {
            run.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the run had ended
        }
    }

    /// <summary>
    /// Renews the lease every third of its TTL; a lost lease stops the run (without finalizing), and a cancel recorded
    /// in the store by another router's API cancels it here.
    /// </summary>
    private async Task RenewAsync(string id, CancellationTokenSource run, Action lostLease, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(LeaseTtl / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    if (!await Store.TryLeaseAsync(id, _owner, LeaseTtl, stop))
                    {
                        LogLeaseLost(logger, id);
                        lostLease();
                        await run.CancelAsync();
                        return;
                    }

                    if ((await Store.GetBatchAsync(id, stop))?.Status == BatchStatus.Cancelling)
                    {
                        await run.CancelAsync();
                    }
                }
                catch (BatchStoreException e)
                {
                    LogRetry(logger, id, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the run ended
        }
    }

    /// <summary>Runs every request without a stored result; false when the batch failed as a whole.</summary>
    private async Task<bool> ExecuteRequestsAsync(BatchJob job, CancellationToken cancellationToken)
    {
        var content = await Store.GetFileContentAsync(job.InputFileId, cancellationToken);
        if (content is null)
        {
            await FailAsync(job.Id, "input_file_missing", $"The input file {job.InputFileId} no longer exists.", cancellationToken);
            return false;
        }

        BatchInput input;
        try
        {
            input = BatchInputParser.Parse(content, job.Endpoint, options.Value.MaxRequestsPerBatch, long.MaxValue);
        }
        catch (BatchInputException e)
        {
            await FailAsync(job.Id, e.Code, e.Message, cancellationToken);
            return false;
        }

        var done = await Store.GetResultsAsync(job.Id, cancellationToken);
        if (done.Count > 0)
        {
            LogResuming(logger, job.Id, done.Count, input.Total);
        }

        var counts = new BatchCounts(job.Id, input.Total, done.Values.Count(r => r.Ok), done.Values.Count(r => !r.Ok), jobs);
        _counts[job.Id] = counts;
        foreach (var error in input.Errors.Where(e => !done.ContainsKey(e.Index)))
        {
            await SaveAsync(counts, new BatchResult(error.Index, false,
                BatchLines.Error(BatchIds.Request(job.Id, error.Index), error.CustomId, error.Code, error.Message)), cancellationToken);
        }

        var prepared = new Dictionary<int, PreparedBatchRequest>();
        foreach (var line in input.Lines.Where(l => !done.ContainsKey(l.Index)))
        {
            try
            {
                prepared[line.Index] = runner.Prepare(job.Id, line, job.Endpoint);
            }
            catch (ApiException e)
            {
                var (status, code, body) = BatchRequestRunner.Describe(e);
                await SaveAsync(counts, new BatchResult(line.Index, false, BatchLines.Error(BatchIds.Request(job.Id, line.Index), line.CustomId,
                    code, $"Line {line.LineNumber}: {e.Message}", status, body)), cancellationToken);
            }
        }

        await jobs.UpdateAsync(job.Id, j => j.Status == BatchStatus.Validating
            ? j with { Status = BatchStatus.InProgress, InProgressAt = jobs.Now, RequestCounts = counts.Snapshot }
            : j with { RequestCounts = counts.Snapshot }, cancellationToken);

        var mode = job.Metadata?.GetValueOrDefault("scheduling") ?? options.Value.Scheduling;
        var blockSize = routing.Value.BlockSize;
        var items = prepared.Values.Select(p => new BatchItem(p.Line.Index,
            new BlockHasher(p.Prepared.Model.Id, blockSize, p.Prepared.Request.CacheSalt).HashBlocks(p.Prepared.Request.PromptTokens.ToArray()),
            p.Prepared.Request.PromptTokens.Count, (int)p.Prepared.Request.Stop.MaxTokens)).ToList();
        var plan = BatchScheduler.Plan(items, mode, blockSize);
        LogPlan(logger, job.Id, prepared.Count, plan.Count, mode);
        await dispatcher.RunAsync(plan, prepared, (p, outcome) => SaveAsync(counts, outcome, CancellationToken.None), cancellationToken);
        return true;
    }

    private async Task SaveAsync(BatchCounts counts, BatchResult result, CancellationToken cancellationToken)
    {
        await Store.SaveResultAsync(counts.BatchId, result, cancellationToken);
        instruments.Finished(result.Ok);
        await counts.AddAsync(result.Ok, cancellationToken);
    }

    /// <summary>
    /// Writes the output and error files from the stored results and ends the batch: cancelled, expired (past
    /// <c>expires_at</c> with requests not done: they get <c>batch_expired</c> error lines) or completed. The per-request
    /// results are deleted once the batch has ended (the files hold them).
    /// </summary>
    private async Task FinalizeAsync(string id, bool pastExpiry, CancellationToken cancellationToken)
    {
        var job = await jobs.UpdateAsync(id, j => j.Status is BatchStatus.InProgress or BatchStatus.Validating
            ? j with { Status = BatchStatus.Finalizing, FinalizingAt = jobs.Now }
            : j, cancellationToken);
        if (job is null || BatchStatus.IsFinal(job.Status))
        {
            return;
        }

        var results = await Store.GetResultsAsync(id, cancellationToken);
        var cancelled = job.Status == BatchStatus.Cancelling;
        var expired = !cancelled && results.Count < job.RequestCounts.Total && job.ExpiresAt is { } at && (pastExpiry || jobs.Now >= at);
        if (expired)
        {
            results = await ExpireRestAsync(job, results, cancellationToken);
        }

        var outputId = await WriteFileAsync(id, "output", results.Values.Where(r => r.Ok), cancellationToken);
        var errorId = await WriteFileAsync(id, "error", results.Values.Where(r => !r.Ok), cancellationToken);
        var ok = results.Values.Count(r => r.Ok);
        var status = cancelled ? BatchStatus.Cancelled : expired ? BatchStatus.Expired : BatchStatus.Completed;
        var now = jobs.Now;
        var final = await jobs.UpdateAsync(id, j => j with
        {
            Status = status,
            CompletedAt = status == BatchStatus.Completed ? now : null,
            CancelledAt = status == BatchStatus.Cancelled ? now : null,
            ExpiredAt = status == BatchStatus.Expired ? now : null,
            OutputFileId = outputId,
            ErrorFileId = errorId,
            RequestCounts = j.RequestCounts with { Completed = ok, Failed = results.Count - ok },
        }, cancellationToken);
        await Store.DeleteResultsAsync(id, cancellationToken);
        LogFinished(logger, id, final!.Status, ok, results.Count - ok);
    }

    /// <summary>
    /// The batch expired: every input line without a result gets its error line, <c>batch_expired</c> for a request
    /// that was not run (or was running and was stopped), its parse error for a line that is not a request.
    /// </summary>
    private async Task<IReadOnlyDictionary<int, BatchResult>> ExpireRestAsync(BatchJob job, IReadOnlyDictionary<int, BatchResult> results,
        CancellationToken cancellationToken)
    {
        var content = await Store.GetFileContentAsync(job.InputFileId, cancellationToken);
        BatchInput input;
        try
        {
            input = content is null ? new BatchInput(0, [], []) : BatchInputParser.Parse(content, job.Endpoint, options.Value.MaxRequestsPerBatch, long.MaxValue);
        }
        catch (BatchInputException)
        {
            input = new BatchInput(0, [], []);
        }

        var expiredAt = DateTimeOffset.FromUnixTimeSeconds(job.ExpiresAt!.Value).ToString("u", System.Globalization.CultureInfo.InvariantCulture);
        var rest = input.Errors.Where(e => !results.ContainsKey(e.Index))
            .Select(e => new BatchResult(e.Index, false, BatchLines.Error(BatchIds.Request(job.Id, e.Index), e.CustomId, e.Code, e.Message)))
            .Concat(input.Lines.Where(l => !results.ContainsKey(l.Index)).Select(l => new BatchResult(l.Index, false,
                BatchLines.Error(BatchIds.Request(job.Id, l.Index), l.CustomId, ExpiredCode,
                    $"Line {l.LineNumber}: this request was not run before the batch's completion window ended (expires_at {expiredAt})."))))
            .ToList();
        foreach (var result in rest)
        {
            await Store.SaveResultAsync(job.Id, result, cancellationToken);
            instruments.Finished(false);
        }

        LogExpired(logger, job.Id, rest.Count);
        return rest.Count == 0 ? results : await Store.GetResultsAsync(job.Id, cancellationToken);
    }

    /// <summary>The error code of a request not run before its batch expired (OpenAI's).</summary>
    public const string ExpiredCode = "batch_expired";

    /// <summary>
    /// <c>Batch:ResultRetention</c>: deletes the output and error files of every batch that ended longer ago (the batch
    /// itself still answers, naming files that are gone, as OpenAI's do after their files are deleted).
    /// </summary>
    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        if (options.Value.ResultRetention is not { } keep)
        {
            return;
        }

        var files = (await Store.ListFilesAsync(cancellationToken)).Where(f => f.Purpose is "batch_output" or "batch_error").Select(f => f.Id).ToHashSet();
        if (files.Count == 0)
        {
            return;
        }

        var cutoff = jobs.Now - (long)keep.TotalSeconds;
        foreach (var job in await Store.ListBatchesAsync(cancellationToken))
        {
            if (BatchStatus.IsFinal(job.Status) && (job.CompletedAt ?? job.CancelledAt ?? job.ExpiredAt ?? job.FailedAt) is { } ended && ended <= cutoff)
            {
                foreach (var file in new[] { job.OutputFileId, job.ErrorFileId })
                {
                    if (file is not null && files.Contains(file) && await Store.DeleteFileAsync(file, cancellationToken))
                    {
                        LogSwept(logger, job.Id, file);
                    }
                }
            }
        }
    }

    /// <summary>The file's id is derived from the batch's, so finalizing again after a restart rewrites the same file.</summary>
    private async Task<string?> WriteFileAsync(string batchId, string kind, IEnumerable<BatchResult> results, CancellationToken cancellationToken)
    {
        var lines = results.OrderBy(r => r.Index).Select(r => r.Line).ToList();
        if (lines.Count == 0)
        {
            return null;
        }

        var id = "file-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(batchId + "/" + kind)).AsSpan(0, 12));
        var content = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        await Store.SaveFileAsync(new BatchFile(id, content.Length, jobs.Now, $"{batchId}_{kind}.jsonl", "batch_" + kind), content, cancellationToken);
        return id;
    }

    private async Task FailAsync(string id, string code, string message, CancellationToken cancellationToken)
    {
        var now = jobs.Now;
        await jobs.UpdateAsync(id, j => j with { Status = BatchStatus.Failed, FailedAt = now, Errors = new BatchErrors([new BatchError(code, message)]) },
            cancellationToken);
        await Store.DeleteResultsAsync(id, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} expired: {NotRun} requests not run get batch_expired error lines")]
    private static partial void LogExpired(ILogger logger, string batchId, int notRun);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId}: file {FileId} deleted (Batch:ResultRetention)")]
    private static partial void LogSwept(ILogger logger, string batchId, string fileId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId}: resuming, {Done} of {Total} requests already done")]
    private static partial void LogResuming(ILogger logger, string batchId, int done, int total);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId}: {Requests} requests to run in {Groups} groups ({Mode})")]
    private static partial void LogPlan(ILogger logger, string batchId, int requests, int groups, string mode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} {Status}: {Completed} completed, {Failed} failed")]
    private static partial void LogFinished(ILogger logger, string batchId, string status, int completed, int failed);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Batch {BatchId}: another router holds its lease")]
    private static partial void LogLeasedElsewhere(ILogger logger, string batchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId}: lease lost (the store was unreachable longer than its TTL, or another router took it over); stopping here")]
    private static partial void LogLeaseLost(ILogger logger, string batchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId}: the store failed ({Reason}); retrying")]
    private static partial void LogRetry(ILogger logger, string batchId, string reason);
}

/// <summary>A running batch's request counts, saved into the job after each result.</summary>
/// <remarks>
/// Saved into the job at most once per <see cref="SaveInterval"/> (the results themselves are saved one by one);
/// <c>GET /v1/batches/{id}</c> shows the live counts of a batch running on this router (<see cref="BatchExecutor.LiveCounts"/>).
/// </remarks>
internal sealed class BatchCounts(string batchId, int total, int completed, int failed, BatchJobs jobs)
{
    public static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(1);

    private int _completed = completed;
    private int _failed = failed;
    private long _lastSave = Environment.TickCount64;

    public string BatchId => batchId;

    public BatchRequestCounts Snapshot => new(total, Volatile.Read(ref _completed), Volatile.Read(ref _failed));

    public async Task AddAsync(bool ok, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref ok ? ref _completed : ref _failed);
        var last = Interlocked.Read(ref _lastSave);
        if (Environment.TickCount64 - last >= SaveInterval.TotalMilliseconds && Interlocked.CompareExchange(ref _lastSave, Environment.TickCount64, last) == last)
        {
            await jobs.UpdateAsync(batchId, j => j with { RequestCounts = Snapshot }, cancellationToken);
        }
    }
}
