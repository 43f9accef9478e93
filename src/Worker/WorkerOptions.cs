namespace Cluster.Worker;

/// <summary>Configuration section <c>Worker</c>: the model a worker serves and how it presents itself (README.md).</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";
    public const string DefaultDevice = "cpu";
    public const string DefaultAdvertiseHost = "127.0.0.1";
    public const int DefaultMaxModelLength = 4096;
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultKvEventInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>Hugging Face model directory (config.json, safetensors, tokenizer). Required.</summary>
    public string ModelPath { get; set; } = "";

    /// <summary>The model name routers ask for; empty = the directory's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>Unique worker id; empty = <c>{role}-{machine}-{grpc port}-{random}</c>.</summary>
    public string? Id { get; set; }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = DefaultDevice;

    /// <summary>fp32, bf16 or fp16; empty = fp32 on the CPU, bf16 on CUDA.</summary>
    public string? DType { get; set; }

    /// <summary>Host name or address other processes reach this worker at (registered endpoints).</summary>
    public string AdvertiseHost { get; set; } = DefaultAdvertiseHost;

    /// <summary>How often load is reported to the registry.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = DefaultHeartbeatInterval;

    /// <summary>At shutdown, how long in-flight requests may run on before they are cancelled.</summary>
    public TimeSpan DrainTimeout { get; set; } = DefaultDrainTimeout;

    /// <summary>How often the engine's KV cache events are published to the prefix index.</summary>
    public TimeSpan KvEventInterval { get; set; } = DefaultKvEventInterval;

    /// <summary>Longest sequence (prompt + output) the model instance runs (capped by the model's own limit).</summary>
    public int MaxModelLength { get; set; } = DefaultMaxModelLength;

}
