using System.Text.Json.Serialization;

namespace Cluster.Router.Batch;

/// <summary>An OpenAI file object (<c>GET /v1/files/{id}</c>).</summary>
public sealed record BatchFile(string Id, long Bytes, long CreatedAt, string Filename, string Purpose)
{
    public string Object { get; init; } = "file";

    public string Status { get; init; } = "processed";
}

/// <summary>The batch statuses OpenAI defines.</summary>
public static class BatchStatus
{
    public const string Validating = "validating";
    public const string InProgress = "in_progress";
    public const string Finalizing = "finalizing";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelling = "cancelling";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";

    public static readonly string[] All = [Validating, InProgress, Finalizing, Completed, Failed, Cancelling, Cancelled, Expired];

    /// <summary>Nothing more happens to a batch in these statuses.</summary>
    public static bool IsFinal(string status) => status is Completed or Failed or Cancelled or Expired;
}

public sealed record BatchRequestCounts(int Total, int Completed, int Failed);

public sealed record BatchError(string Code, string Message, string? Param = null, int? Line = null);

public sealed record BatchErrors(IReadOnlyList<BatchError> Data)
{
    public string Object { get; init; } = "list";
}

/// <summary>An OpenAI batch object (<c>GET /v1/batches/{id}</c>).</summary>
public sealed record BatchJob
{
    public required string Id { get; init; }

    public string Object { get; init; } = "batch";

    public required string Endpoint { get; init; }

    public BatchErrors? Errors { get; init; }

    public required string InputFileId { get; init; }

    public string CompletionWindow { get; init; } = "24h";

    public string Status { get; init; } = BatchStatus.Validating;

    public string? OutputFileId { get; init; }

    public string? ErrorFileId { get; init; }

    public long CreatedAt { get; init; }

    public long? InProgressAt { get; init; }

    public long? ExpiresAt { get; init; }

    public long? FinalizingAt { get; init; }

    public long? CompletedAt { get; init; }

    public long? FailedAt { get; init; }

    public long? ExpiredAt { get; init; }

    public long? CancellingAt { get; init; }

    public long? CancelledAt { get; init; }

    public BatchRequestCounts RequestCounts { get; init; } = new(0, 0, 0);

    public Dictionary<string, string>? Metadata { get; init; }
}

/// <summary>One list page: <c>{"object":"list","data":[...],"first_id","last_id","has_more"}</c>.</summary>
public sealed record BatchList(IReadOnlyList<BatchJob> Data, string? FirstId, string? LastId, bool HasMore)
{
    public string Object { get; init; } = "list";
}

public sealed record BatchFileList(IReadOnlyList<BatchFile> Data, bool HasMore = false)
{
    public string Object { get; init; } = "list";
}

public sealed record BatchFileDeleted(string Id, bool Deleted)
{
    public string Object { get; init; } = "file";
}

/// <summary>The body of <c>POST /v1/batches</c>.</summary>
public sealed record BatchCreateBody(string? InputFileId, string? Endpoint, string? CompletionWindow, Dictionary<string, string>? Metadata);

/// <summary>A request's persisted outcome: its line index in the input, success, and the output or error file line.</summary>
public sealed record BatchResult(int Index, bool Ok, string Line);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(BatchFile))]
[JsonSerializable(typeof(BatchJob))]
[JsonSerializable(typeof(BatchList))]
[JsonSerializable(typeof(BatchFileList))]
[JsonSerializable(typeof(BatchFileDeleted))]
[JsonSerializable(typeof(BatchCreateBody))]
[JsonSerializable(typeof(BatchResult))]
internal sealed partial class BatchJsonContext : JsonSerializerContext;
