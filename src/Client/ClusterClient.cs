using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Polly;

namespace Cluster.Client;

/// <summary>
/// The .NET client of a cluster's router (<c>cluster.v1.Inference</c> over gRPC). Thread-safe; keep one per
/// application (connections are reused). Cancelling a call's token cancels the server-side work.
/// </summary>
public sealed partial class ClusterClient : IDisposable
{
    private readonly ClusterClientOptions _options;
    private readonly GrpcChannel[] _channels;
    private readonly ResiliencePipeline _retry;
    private readonly Metadata? _headers;
    private int _next;

    /// <summary>A client of the router at <paramref name="address"/> with default options.</summary>
    public ClusterClient(Uri address)
        : this(new ClusterClientOptions { Addresses = [address] })
    {
    }

    /// <summary>A client configured by <paramref name="options"/>.</summary>
    public ClusterClient(ClusterClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Addresses.Count == 0)
        {
            throw new ArgumentException("Set at least one router address in ClusterClientOptions.Addresses (e.g. http://127.0.0.1:50051).", nameof(options));
        }

        _options = options;
        _channels = options.Addresses.Select(a => GrpcChannel.ForAddress(a, new GrpcChannelOptions
        {
            HttpHandler = options.HttpHandler ?? CreateHandler(options),
            DisposeHttpClient = options.HttpHandler is null,
            MaxReceiveMessageSize = null,
        })).ToArray();
        _retry = RetryBeforeFirstToken.Create(options);
        _headers = string.IsNullOrEmpty(options.ApiKey) ? null : new Metadata { { "authorization", "Bearer " + options.ApiKey } };
    }

    /// <summary>Lists the served models.</summary>
    public async Task<IReadOnlyList<ModelDescription>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        var response = await _retry.ExecuteAsync(
            async ct => await Inference().ListModelsAsync(new ListModelsRequest(), CallOptionsFor(null, ct)),
            cancellationToken);
        return response.Models.Select(m => new ModelDescription(m.Id, (int)m.MaxModelLength, m.OwnedBy)).ToArray();
    }

    /// <summary>True when the next router answers <c>grpc.health.v1.Health</c> with SERVING.</summary>
    public async Task<bool> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var channel = NextChannel();
        try
        {
            var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), CallOptionsFor(null, cancellationToken));
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.NotFound or StatusCode.DeadlineExceeded)
        {
            return false;
        }
    }

    /// <summary>Closes the client's connections.</summary>
    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    private Inference.InferenceClient Inference() => new(NextChannel());

    // Round-robin over the addresses; a retry therefore goes to the next router.
    private GrpcChannel NextChannel() => _channels[(int)((uint)Interlocked.Increment(ref _next) % (uint)_channels.Length)];

    private static SocketsHttpHandler CreateHandler(ClusterClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        };
        if (options.ServerCertificateValidation is { } validate)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = validate;
        }

        return handler;
    }

    private CallOptions CallOptionsFor(GenerationOptions? options, CancellationToken cancellationToken)
    {
        var timeout = options?.Timeout ?? _options.DefaultDeadline;
        return new CallOptions(_headers, timeout is { } t ? DateTime.UtcNow + t : null, cancellationToken);
    }
}
