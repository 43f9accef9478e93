using System.Collections.Concurrent;
using Cluster.Hosting.Auth;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Client;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using KvTransferService = Cluster.Contracts.V1.KvTransfer;

namespace Cluster.Worker.Grpc;

/// <summary>
/// Push clients to decode workers, one cached <see cref="GrpcChannel"/> per endpoint (Push on the generated
/// client-streaming call); calls carry
/// <c>authorization: Bearer &lt;Auth:ClusterToken&gt;</c> when a token is set.
/// </summary>
internal sealed class KvPushChannels(IOptions<AuthOptions> auth, IOptions<KvTransferOptions> transfer, KvTransferInstruments instruments) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<GrpcChannel>> _channels = new(StringComparer.OrdinalIgnoreCase);
    private readonly Metadata? _headers = Headers(auth.Value.ClusterToken);

    public int MaxChunkBytes => transfer.Value.MaxChunkBytes;

    /// <summary>The push transport's name (a metric tag): Grpc.Net.Client's client-streaming Push (its control stream
    /// also carries a same-host shared-memory ring's tickets).</summary>
    public string Transport => "grpc";

    public KvTransferInstruments Instruments => instruments;

    /// <summary>
    /// A push client for <paramref name="endpoint"/> (an absolute http/https URI, checked by the caller);
    /// <paramref name="corruptChecksums"/> only from <see cref="KvTransferTestFaults"/>.
    /// </summary>
    public KvPushClient For(Uri endpoint, bool corruptChecksums = false)
    {
        var channel = _channels.GetOrAdd(endpoint.GetLeftPart(UriPartial.Authority), key => new Lazy<GrpcChannel>(() => GrpcChannel.ForAddress(key, transfer.Value.CreatePushChannelOptions()))).Value;
        return new KvPushClient(new KvTransferService.KvTransferClient(channel), transfer.Value, WithTraceContext(_headers)) { Resumed = instruments.Resumed, CorruptChecksums = corruptChecksums };
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            if (channel.IsValueCreated) channel.Value.Dispose();
        }
    }

    // The current span (the sender's kv_transfer.push) travels as traceparent in the Push call's metadata.
    private static Metadata? WithTraceContext(Metadata? headers)
    {
        var result = headers;
        Core.Tracing.TraceContext.Inject(System.Diagnostics.Activity.Current, (key, value) =>
        {
            if (ReferenceEquals(result, headers))
            {
                result = [];
                foreach (var entry in headers ?? [])
                {
                    result.Add(entry);
                }
            }

            result!.Add(key, value);
        });
        return result;
    }

    private static Metadata? Headers(string? token)
    {
        if (string.IsNullOrEmpty(token)) return null;
        return new Metadata { { "authorization", $"Bearer {token}" } };
    }
}
