using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Batch;

/// <summary>
/// <c>POST /v1/files</c> (multipart: <c>purpose=batch</c> and <c>file</c>, a JSONL of requests), <c>GET /v1/files</c>,
/// <c>GET /v1/files/{id}</c>, <c>GET /v1/files/{id}/content</c>, <c>DELETE /v1/files/{id}</c>.
/// </summary>
internal sealed class BatchFilesApi(IBatchStore store, BatchJobs jobs, IOptions<BatchOptions> options)
{
    /// <summary>Room for the multipart framing and the purpose field around the file.</summary>
    private const long MultipartOverhead = 64 * 1024;

    public Task UploadAsync(HttpContext context) => BatchHttp.GuardAsync(context, async () =>
    {
        var max = options.Value.MaxFileBytes;
        if (context.Request.ContentLength > max + MultipartOverhead)
        {
            throw TooLarge(max);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = max + MultipartOverhead;
        }

        if (!context.Request.HasFormContentType)
        {
            throw BatchApiException.Invalid("file", "Upload the file as multipart/form-data with fields 'purpose' (batch) and 'file'.");
        }

        context.Features.Set<IFormFeature>(new FormFeature(context.Request, new FormOptions { MultipartBodyLengthLimit = max + MultipartOverhead }));
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var purpose = form["purpose"].ToString();
        if (purpose.Length == 0)
        {
            throw BatchApiException.Invalid("purpose", "purpose is missing: set it to 'batch'.");
        }

        if (purpose != "batch")
        {
            throw BatchApiException.Invalid("purpose", $"purpose '{purpose}' is not supported: this server stores files for purpose 'batch' only.");
        }

        var file = form.Files["file"] ?? throw BatchApiException.Invalid("file", "The 'file' field is missing: attach the JSONL file as 'file'.");
        if (file.Length > max)
        {
            throw TooLarge(max);
        }

        if (file.Length == 0)
        {
            throw BatchApiException.Invalid("file", "The file is empty: a batch file holds one JSON request per line.");
        }

        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, context.RequestAborted);
        var stored = new BatchFile(BatchIds.NewFile(), buffer.Length, jobs.Now, Path.GetFileName(file.FileName), purpose);
        await store.SaveFileAsync(stored, buffer.ToArray(), context.RequestAborted);
        await BatchHttp.JsonAsync(context, stored, BatchJsonContext.Default.BatchFile);
    });

    public Task ListAsync(HttpContext context) => BatchHttp.GuardAsync(context, async () =>
    {
        var purpose = context.Request.Query["purpose"].ToString();
        var files = (await store.ListFilesAsync(context.RequestAborted)).Where(f => purpose.Length == 0 || f.Purpose == purpose).ToList();
        await BatchHttp.JsonAsync(context, new BatchFileList(files), BatchJsonContext.Default.BatchFileList);
    });

    public Task GetAsync(HttpContext context, string id) => BatchHttp.GuardAsync(context, async () =>
        await BatchHttp.JsonAsync(context, await FindAsync(id, context.RequestAborted), BatchJsonContext.Default.BatchFile));

    public Task ContentAsync(HttpContext context, string id) => BatchHttp.GuardAsync(context, async () =>
    {
        var file = await FindAsync(id, context.RequestAborted);
        var content = await store.GetFileContentAsync(id, context.RequestAborted) ?? throw BatchApiException.NotFound("file", id);
        context.Response.ContentType = "application/octet-stream";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{file.Filename}\"";
        await context.Response.Body.WriteAsync(content, context.RequestAborted);
    });

    public Task DeleteAsync(HttpContext context, string id) => BatchHttp.GuardAsync(context, async () =>
    {
        await FindAsync(id, context.RequestAborted);
        if ((await store.ListBatchesAsync(context.RequestAborted)).FirstOrDefault(b => b.InputFileId == id && !BatchStatus.IsFinal(b.Status)) is { } running)
        {
            throw new BatchApiException(StatusCodes.Status409Conflict, "file_in_use",
                $"File {id} is the input of batch {running.Id}, which is {running.Status}: cancel the batch (POST /v1/batches/{running.Id}/cancel) or wait until it ends, then delete the file.",
                "id");
        }

        var deleted = await store.DeleteFileAsync(id, context.RequestAborted);
        await BatchHttp.JsonAsync(context, new BatchFileDeleted(id, deleted), BatchJsonContext.Default.BatchFileDeleted);
    });

    private async Task<BatchFile> FindAsync(string id, CancellationToken cancellationToken) =>
        (id.StartsWith("file-", StringComparison.Ordinal) && BatchIds.IsWellFormed(id) ? await store.GetFileAsync(id, cancellationToken) : null)
        ?? throw BatchApiException.NotFound("file", id);

    private static BatchApiException TooLarge(long max) =>
        new(StatusCodes.Status413PayloadTooLarge, "file_too_large", $"The file is larger than {max} bytes (Batch:MaxFileBytes): split it into several batches.", "file");
}
