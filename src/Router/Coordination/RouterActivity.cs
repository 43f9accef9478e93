using System.Diagnostics;
using Cluster.Core.Tracing;
using Grpc.Core;

namespace Cluster.Router.Coordination;

/// <summary>
/// The router's one ActivitySource (<c>Cluster.Router</c>): a <c>router.request</c> span per request (a child of the
/// incoming HTTP or gRPC request, which honours the client's <c>traceparent</c>), with <c>reserve</c>, <c>prefill</c>
/// and <c>decode</c> spans around the worker calls; each call carries its span as <c>traceparent</c> metadata.
/// </summary>
internal static class RouterActivity
{
    public const string SourceName = "Cluster.Router";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Metadata carrying the current span's trace context (null when nothing is traced).</summary>
    public static Metadata? Headers()
    {
        Metadata? headers = null;
        TraceContext.Inject(Activity.Current, (key, value) => (headers ??= []).Add(key, value));
        return headers;
    }
}
