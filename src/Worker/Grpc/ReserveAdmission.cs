using System.Globalization;
using Cluster.Contracts.V1;
using Cluster.Engine.Serving;
using Grpc.Core;

namespace Cluster.Worker.Grpc;

/// <summary>
/// Reserve's use of <c>max_new_tokens</c> (the output the request may still generate; 0 = unknown, only the prompt is
/// checked). A request whose prompt + output can never be served here is refused RESOURCE_EXHAUSTED (another decode
/// worker, with a longer context or a larger cache, may take it): past the worker's positions, or needing KV for more
/// tokens (prompt + output − 1: the last token's KV is never needed) than the whole cache. Otherwise the reservation is
/// admitted only while the free blocks also hold the first decoded token's KV (ARCHITECTURE §6: decode headroom is
/// prompt + 1 token), so a decode does not start only to be preempted at once. The headroom check reads the engine's
/// counters before the reservation takes its blocks; a step running in between may still take them (it then preempts).
/// The two refusals differ on the wire: "never here" is RESOURCE_EXHAUSTED alone (the router tries another worker or
/// fails the request), "no room now" (<see cref="NoRoomNow"/>, also the reservation table's CacheFull) carries the
/// gRPC trailer <c>grpc-retry-pushback-ms</c>, so the router keeps the request waiting in its admission queue.
/// </summary>
internal static class ReserveAdmission
{
    public static void Check(ReserveRequest request, int positions, InferenceEngine engine)
    {
        var prompt = (long)request.PromptTokens;
        var output = (long)request.MaxNewTokens;
        if (prompt + output > positions)
        {
            throw Exhausted($"prompt_tokens ({prompt}) + max_new_tokens ({output}) = {prompt + output} exceeds this worker's {positions} positions (Worker:MaxModelLength, capped by the model); lower max_tokens or use a worker with a longer context.");
        }

        var stats = engine.Stats;
        var blockSize = engine.Storage.Layout.BlockSize;
        var kvTokens = prompt + Math.Max(output - 1, 0);
        var needed = BlocksFor(kvTokens, blockSize);
        if (needed > stats.TotalBlocks)
        {
            throw Exhausted($"prompt_tokens ({prompt}) + max_new_tokens ({output}) need KV for {kvTokens} tokens ({needed} blocks of {blockSize}) but this worker's whole cache holds {stats.TotalBlocks} blocks; lower max_tokens or use a worker with a larger cache (KvCache:MemoryFraction).");
        }

        // The first output token comes with the transfer; the first decode step writes its KV (when there is a second).
        var headroom = BlocksFor(prompt + (output > 1 ? 1 : 0), blockSize);
        var free = stats.TotalBlocks - stats.UsedBlocks;
        if (headroom > free)
        {
            throw NoRoomNow($"No room now: the prompt and its first decode step need {headroom} free KV blocks and {free} are free; retry later or on another worker.");
        }
    }

    /// <summary>The standard gRPC trailer telling the caller how long to wait before retrying (gRPC retry design A6).</summary>
    public const string RetryPushbackTrailer = "grpc-retry-pushback-ms";

    /// <summary>How long a "no room now" refusal asks the router to wait at most before reserving again.</summary>
    public static readonly TimeSpan RetryPushback = TimeSpan.FromMilliseconds(100);

    /// <summary>RESOURCE_EXHAUSTED for a reservation that fits this worker but not now: with <see cref="RetryPushbackTrailer"/>.</summary>
    public static RpcException NoRoomNow(string message) =>
        new(new global::Grpc.Core.Status(StatusCode.ResourceExhausted, message), new Metadata
        {
            { RetryPushbackTrailer, ((long)RetryPushback.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) },
        });

    private static long BlocksFor(long tokens, int blockSize) => (tokens + blockSize - 1) / blockSize;

    private static RpcException Exhausted(string message) => CallFailures.Status(StatusCode.ResourceExhausted, message);
}
