using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Batch;

/// <summary><c>POST /v1/batches</c>, <c>GET /v1/batches</c> (limit, after), <c>GET /v1/batches/{id}</c>, <c>POST /v1/batches/{id}/cancel</c>.</summary>
internal sealed class BatchesApi(IBatchStore store, BatchJobs jobs, BatchExecutor executor, IOptions<BatchOptions> options)
{
    public const string CompletionWindow = "24h";
    private const int MaxMetadataPairs = 16;

    public Task CreateAsync(HttpContext context) => BatchHttp.GuardAsync(context, async () =>
    {
        BatchCreateBody body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(context.Request.Body, BatchJsonContext.Default.BatchCreateBody, context.RequestAborted)
                ?? throw BatchApiException.Invalid("body", "The body is null: send {\"input_file_id\",\"endpoint\",\"completion_window\"}.");
        }
        catch (JsonException e)
        {
            throw BatchApiException.Invalid("body", $"The body is not valid JSON for POST /v1/batches: {e.Message.Split(" Path:")[0]}");
        }

        if (string.IsNullOrEmpty(body.InputFileId))
        {
            throw BatchApiException.Invalid("input_file_id", "input_file_id is missing: upload the requests with POST /v1/files (purpose batch) and pass its id.");
        }

        if (string.IsNullOrEmpty(body.Endpoint) || !BatchInputParser.Endpoints.Contains(body.Endpoint))
        {
            throw BatchApiException.Invalid("endpoint",
                $"endpoint '{body.Endpoint}' is not supported: use {string.Join(" or ", BatchInputParser.Endpoints)}.");
        }

        if (string.IsNullOrEmpty(body.CompletionWindow))
        {
            throw BatchApiException.Invalid("completion_window", $"completion_window is missing: use '{CompletionWindow}'.");
        }

        if (body.CompletionWindow != CompletionWindow)
        {
            throw BatchApiException.Invalid("completion_window", $"completion_window '{body.CompletionWindow}' is not supported: use '{CompletionWindow}'.");
        }

        CheckMetadata(body.Metadata);
        var file = (BatchIds.IsWellFormed(body.InputFileId) ? await store.GetFileAsync(body.InputFileId, context.RequestAborted) : null)
            ?? throw new BatchApiException(StatusCodes.Status404NotFound, "not_found", $"No file with id '{body.InputFileId}'.", "input_file_id");
        if (file.Purpose != "batch")
        {
            throw BatchApiException.Invalid("input_file_id", $"File {file.Id} has purpose '{file.Purpose}'; a batch's input needs purpose 'batch'.");
        }

        // A file that cannot run at all is refused now; bad lines become error-file entries when the batch runs.
        var content = await store.GetFileContentAsync(file.Id, context.RequestAborted) ?? throw BatchApiException.NotFound("file", file.Id);
        int total;
        try
        {
            total = BatchInputParser.Parse(content, body.Endpoint, options.Value.MaxRequestsPerBatch, long.MaxValue).Total;
        }
        catch (BatchInputException e)
        {
            throw new BatchApiException(StatusCodes.Status400BadRequest, e.Code, $"File {file.Id}: {e.Message}", "input_file_id");
        }

        var now = jobs.Now;
        var job = new BatchJob
        {
            Id = BatchIds.NewBatch(),
            Endpoint = body.Endpoint,
            InputFileId = file.Id,
            CompletionWindow = CompletionWindow,
            CreatedAt = now,
            ExpiresAt = now + (long)Math.Ceiling(options.Value.EffectiveCompletionWindow.TotalSeconds),
            RequestCounts = new BatchRequestCounts(total, 0, 0),
            Metadata = body.Metadata,
        };
        await jobs.CreateAsync(job, context.RequestAborted);
        executor.Enqueue(job.Id);
        await BatchHttp.JsonAsync(context, job, BatchJsonContext.Default.BatchJob);
    });

    public Task GetAsync(HttpContext context, string id) => BatchHttp.GuardAsync(context, async () =>
    {
        var job = await FindAsync(id, context.RequestAborted);
        if (!BatchStatus.IsFinal(job.Status) && executor.LiveCounts(id) is { } live)
        {
            job = job with { RequestCounts = live };
        }

        await BatchHttp.JsonAsync(context, job, BatchJsonContext.Default.BatchJob);
    });

    public Task ListAsync(HttpContext context) => BatchHttp.GuardAsync(context, async () =>
    {
        var limitText = context.Request.Query["limit"].ToString();
        var limit = 20;
        if (limitText.Length > 0 && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            throw BatchApiException.Invalid("limit", $"limit '{limitText}' must be a whole number from 1 to 100.");
        }

        var after = context.Request.Query["after"].ToString();
        IEnumerable<BatchJob> all = await store.ListBatchesAsync(context.RequestAborted);
        if (after.Length > 0)
        {
            var list = all.ToList();
            var at = list.FindIndex(j => j.Id == after);
            if (at < 0)
            {
                throw BatchApiException.Invalid("after", $"after '{after}' is not the id of a batch.");
            }

            all = list.Skip(at + 1);
        }

        var page = all.Take(limit + 1).ToList();
        var data = page.Take(limit).ToList();
        await BatchHttp.JsonAsync(context, new BatchList(data, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id, page.Count > limit),
            BatchJsonContext.Default.BatchList);
    });

    public Task CancelAsync(HttpContext context, string id) => BatchHttp.GuardAsync(context, async () =>
    {
        await FindAsync(id, context.RequestAborted);
        string? refused = null;
        var job = await jobs.UpdateAsync(id, j =>
        {
            refused = null; // the update may run again on a job another writer changed meanwhile
            if (BatchStatus.IsFinal(j.Status) || j.Status == BatchStatus.Finalizing)
            {
                refused = j.Status;
                return j;
            }

            return j.Status == BatchStatus.Cancelling ? j : j with { Status = BatchStatus.Cancelling, CancellingAt = jobs.Now };
        }, context.RequestAborted) ?? throw BatchApiException.NotFound("batch", id);
        if (refused is not null)
        {
            throw new BatchApiException(StatusCodes.Status409Conflict, "invalid_state", $"Batch {id} is {refused}: only a batch that has not finished can be cancelled.");
        }

        executor.Cancel(id);
        await BatchHttp.JsonAsync(context, job, BatchJsonContext.Default.BatchJob);
    });

    private async Task<BatchJob> FindAsync(string id, CancellationToken cancellationToken) =>
        (id.StartsWith("batch_", StringComparison.Ordinal) && BatchIds.IsWellFormed(id) ? await store.GetBatchAsync(id, cancellationToken) : null)
        ?? throw BatchApiException.NotFound("batch", id);

    private static void CheckMetadata(Dictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        if (metadata.Count > MaxMetadataPairs || metadata.Any(p => p.Key.Length > 64 || p.Value.Length > 512))
        {
            throw BatchApiException.Invalid("metadata", $"metadata holds at most {MaxMetadataPairs} pairs, keys of at most 64 and values of at most 512 characters.");
        }

        if (metadata.TryGetValue("scheduling", out var mode) && !BatchSchedulingModes.IsKnown(mode))
        {
            throw BatchApiException.Invalid("metadata",
                $"metadata.scheduling '{mode}' is not a mode: use {BatchSchedulingModes.PrefixGrouped} or {BatchSchedulingModes.FileOrder}.");
        }
    }
}
