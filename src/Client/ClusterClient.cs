using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;
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
    private readonly CallInvoker[] _invokers;
    private readonly GrpcChannel[] _ownedChannels;
    private readonly ResiliencePipeline _retry;
    private int _next;

    /// <summary>A client of the router at <paramref name="address"/> with default options.</summary>
    public ClusterClient(Uri address)
        : this(new ClusterClientOptions { Addresses = [address] })
    {
    }

    /// <summary>A client configured by <paramref name="options"/>; it opens one <see cref="GrpcChannel"/> per address.</summary>
    public ClusterClient(ClusterClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Addresses.Count == 0)
        {
            throw new ArgumentException("Set at least one router address in ClusterClientOptions.Addresses (e.g. http://127.0.0.1:50051), or pass your own GrpcChannel or CallInvoker.", nameof(options));
        }

        _options = options;
        _ownedChannels = options.Addresses.Select(a => GrpcChannel.ForAddress(a, new GrpcChannelOptions
        {
            HttpHandler = options.HttpHandler ?? CreateHandler(options),
            DisposeHttpClient = options.HttpHandler is null,
            MaxReceiveMessageSize = null,
        })).ToArray();
        _invokers = _ownedChannels.Select(c => WithApiKey(c.CreateCallInvoker(), options)).ToArray();
        _retry = RetryBeforeFirstToken.Create(options);
    }

    /// <summary>
    /// A client on the caller's own <paramref name="channel"/> (its handler, TLS, limits and interceptors stay the
    /// caller's; <see cref="Dispose"/> leaves it open). <see cref="ClusterClientOptions.Addresses"/>,
    /// <see cref="ClusterClientOptions.HttpHandler"/> and <see cref="ClusterClientOptions.ServerCertificateValidation"/>
    /// are ignored; the API key, deadline, model and retry settings apply.
    /// </summary>
    public ClusterClient(GrpcChannel channel, ClusterClientOptions? options = null)
        : this((channel ?? throw new ArgumentNullException(nameof(channel))).CreateCallInvoker(), options)
    {
    }

    /// <summary>
    /// A client that sends every call through the caller's <paramref name="callInvoker"/>, for example
    /// <c>channel.Intercept(myInterceptor)</c>. As with a caller's channel, the API key, deadline, model and retry
    /// settings of <paramref name="options"/> apply; the API key is added by an <see cref="ApiKeyInterceptor"/> in
    /// front of <paramref name="callInvoker"/>, so the caller's interceptors see it.
    /// </summary>
    public ClusterClient(CallInvoker callInvoker, ClusterClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(callInvoker);
        _options = options ?? new ClusterClientOptions();
        _ownedChannels = [];
        _invokers = [WithApiKey(callInvoker, _options)];
        _retry = RetryBeforeFirstToken.Create(_options);
    }

    /// <summary>Lists the served models.</summary>
    public async Task<IReadOnlyList<ModelDescription>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        var response = await _retry.ExecuteAsync(
            async ct => await Inference().ListModelsAsync(new ListModelsRequest(), CallOptionsFor(null, ct)),
            cancellationToken);
        return response.Models.Select(m => new ModelDescription(m.Id, (int)m.MaxModelLength, m.OwnedBy)).ToArray();
    }

    /// <summary>
    /// Cancels your running request <paramref name="requestId"/> (the <see cref="GenerationOptions.RequestId"/> it was
    /// started with), through any router: its own call then ends with CANCELLED and the workers free its KV. True once
    /// cancelled; false when no request of this client's API key runs with that id (it finished, never existed, or was
    /// started with another key: the router does not tell these apart). A malformed id throws INVALID_ARGUMENT.
    /// </summary>
    public async Task<bool> CancelAsync(string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        try
        {
            await _retry.ExecuteAsync(
                async ct => await Inference().CancelAsync(new CancelGenerationRequest { RequestId = requestId }, CallOptionsFor(null, ct)),
                cancellationToken);
            return true;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>True when the next router answers <c>grpc.health.v1.Health</c> with SERVING.</summary>
    public async Task<bool> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var invoker = NextInvoker();
        try
        {
            var response = await new Health.HealthClient(invoker).CheckAsync(new HealthCheckRequest(), CallOptionsFor(null, cancellationToken));
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
        foreach (var channel in _ownedChannels)
        {
            channel.Dispose();
        }
    }

    private Inference.InferenceClient Inference() => new(NextInvoker());

    // Round-robin over the addresses; a retry therefore goes to the next router.
    private CallInvoker NextInvoker() => _invokers[(int)((uint)Interlocked.Increment(ref _next) % (uint)_invokers.Length)];

    private static CallInvoker WithApiKey(CallInvoker invoker, ClusterClientOptions options) =>
        string.IsNullOrEmpty(options.ApiKey) ? invoker : invoker.Intercept(new ApiKeyInterceptor(options.ApiKey));

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
        return new CallOptions(null, timeout is { } t ? DateTime.UtcNow + t : null, cancellationToken);
    }
}
