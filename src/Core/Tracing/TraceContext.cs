using System.Diagnostics;

namespace Cluster.Core.Tracing;

/// <summary>
/// W3C trace context (<c>traceparent</c>, <c>tracestate</c>) in call metadata, written and read through delegates so
/// it works on any metadata collection (the gRPC transport's <c>Metadata</c>, HTTP headers). Call sites inject the
/// current span before a call; a server that is not an ASP.NET Core endpoint extracts it to parent its span.
/// </summary>
public static class TraceContext
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    /// <summary>Writes <paramref name="activity"/>'s context with <paramref name="set"/>; nothing when there is no W3C activity.</summary>
    public static void Inject(Activity? activity, Action<string, string> set)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is not { } id)
        {
            return;
        }

        set(TraceParent, id);
        if (activity.TraceStateString is { Length: > 0 } state)
        {
            set(TraceState, state);
        }
    }

    /// <summary>The context <paramref name="get"/> carries, or default when none or malformed.</summary>
    public static ActivityContext Extract(Func<string, string?> get)
    {
        ArgumentNullException.ThrowIfNull(get);
        return get(TraceParent) is { Length: > 0 } parent && ActivityContext.TryParse(parent, get(TraceState), out var context)
            ? context
            : default;
    }
}
