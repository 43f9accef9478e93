using System.Globalization;
using Grpc.Core;
using Polly;
using Polly.Retry;

namespace Cluster.Client;

/// <summary>
/// The retry policy: UNAVAILABLE and RESOURCE_EXHAUSTED are retried (only ever before a call's first token: callers
/// wrap just the start of a call), waiting as long as the server asks through <c>grpc-retry-pushback-ms</c> or
/// <c>retry-after</c> trailers, otherwise exponential back-off with jitter. A negative pushback means "do not retry".
/// </summary>
internal static class RetryBeforeFirstToken
{
    public static ResiliencePipeline Create(ClusterClientOptions options)
    {
        if (options.MaxRetries <= 0)
        {
            return ResiliencePipeline.Empty;
        }

        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = new PredicateBuilder().Handle<RpcException>(IsRetryable),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is RpcException e && Pushback(e) is { } delay
                        ? (TimeSpan?)(delay > options.MaxRetryDelay ? options.MaxRetryDelay : delay)
                        : null),
            })
            .Build();
    }

    public static bool IsRetryable(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted && Pushback(e) is not { Ticks: < 0 };

    /// <summary>How long the server asked the client to wait, if it did.</summary>
    public static TimeSpan? Pushback(RpcException e)
    {
        if (e.Trailers.GetValue("grpc-retry-pushback-ms") is { } ms)
        {
            return long.TryParse(ms, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? TimeSpan.FromMilliseconds(value)
                : TimeSpan.FromTicks(-1);
        }

        return e.Trailers.GetValue("retry-after") is { } seconds
            && double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0
            ? TimeSpan.FromSeconds(s)
            : null;
    }
}
