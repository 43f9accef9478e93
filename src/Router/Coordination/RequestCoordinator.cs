using System.Runtime.CompilerServices;
using Cluster.ClusterState;
using Cluster.Router.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Coordination;

/// <summary>
/// <see cref="IRequestCoordinator"/>: each request runs its own serial state machine (<see cref="RequestRun"/>) over
/// shared, thread-safe parts: the live-worker pool, the worker channels, the prefix index, the admission queue and the
/// routing policies. See README.md in this folder for the states and failure handling.
/// </summary>
public sealed class RequestCoordinator : IRequestCoordinator
{
    private readonly CoordinatorServices _services;
    private readonly SloOptions _slo;

    public RequestCoordinator(
        WorkerPool pool,
        WorkerClients clients,
        IPrefixIndex index,
        AdmissionQueue admission,
        IPrefillPolicy prefillPolicy,
        IDecodePolicy decodePolicy,
        IDisaggregationPolicy disaggregation,
        IOptions<RoutingOptions> options,
        TimeProvider timeProvider,
        CoordinatorInstruments instruments,
        RequestInstruments requestInstruments,
        IOptions<SloOptions> slo,
        ILogger<RequestCoordinator> logger,
        IDecodeAdmission? decodeAdmission = null,
        PrefixIndexHealth? indexHealth = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(slo);
        ArgumentNullException.ThrowIfNull(pool);
        _services = new CoordinatorServices(pool, clients, index, admission, decodeAdmission ?? new LocalDecodeAdmission(pool.InFlight), prefillPolicy, decodePolicy, disaggregation, options.Value, timeProvider, instruments, logger, requestInstruments, indexHealth ?? new PrefixIndexHealth());
        _slo = slo.Value;
    }

    /// <summary>
    /// Runs the request (<see cref="RunCoreAsync"/>) and measures it from arrival to end (<see cref="RequestMeasurement"/>:
    /// metrics, SLO, one log line), whatever the end: finished, failed, cancelled by the client or ended early by the
    /// front end.
    /// </summary>
    public async IAsyncEnumerable<CoordinatorEvent> RunAsync(TokenizedRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Validate(request);
        var run = new RequestRun(_services, request);
        var measurement = new RequestMeasurement(_services.RequestInstruments, _slo, _services.Time, _services.Logger, request);
        using var span = RouterActivity.Source.StartActivity("router.request", System.Diagnostics.ActivityKind.Internal);
        span?.SetTag("gen_ai.request.model", request.Model.Value).SetTag("cluster.request_id", request.Id.Value).SetTag("gen_ai.operation.name", request.Operation);
        try
        {
            await using var events = RunCoreAsync(run, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                try
                {
                    if (!await events.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (Exception e)
                {
                    measurement.Failed(e);
                    throw;
                }

                measurement.Saw(events.Current);
                yield return events.Current;
            }
        }
        finally
        {
            measurement.End(run, cancellationToken.IsCancellationRequested);
        }
    }

    private static async IAsyncEnumerable<CoordinatorEvent> RunCoreAsync(RequestRun run, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var completed = false;
        try
        {
            await run.PrepareAsync(cancellationToken).ConfigureAwait(false);
            while (!completed)
            {
                var (first, end) = await run.StartAsync(cancellationToken).ConfigureAwait(false);
                if (first is not null)
                {
                    yield return first;
                }

                if (end is not null)
                {
                    completed = true;
                    yield return end;
                    yield break;
                }

                while (true)
                {
                    var (tokens, finished, lost) = await run.ReadAsync(cancellationToken).ConfigureAwait(false);
                    if (tokens is not null)
                    {
                        yield return tokens;
                    }

                    if (finished is not null)
                    {
                        completed = true;
                        yield return finished;
                        yield break;
                    }

                    if (lost)
                    {
                        break; // migrate: StartAsync continues after the tokens already streamed
                    }
                }
            }
        }
        finally
        {
            run.End(completed);
        }
    }

    private static void Validate(TokenizedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Id.Value))
        {
            throw CoordinatorErrors.InvalidArgument("The request id is empty: assign a unique id before routing.");
        }

        if (string.IsNullOrWhiteSpace(request.Model.Value))
        {
            throw CoordinatorErrors.InvalidArgument("The model is empty: name the model to serve.");
        }

        if (request.PromptTokens.Count == 0)
        {
            throw CoordinatorErrors.InvalidArgument("The prompt is empty: send at least one token.");
        }

        if (request.PromptTokens.Any(t => t < 0))
        {
            throw CoordinatorErrors.InvalidArgument("The prompt holds a negative token id: token ids are non-negative vocabulary indices.");
        }

        if (request.Stop is null || request.Stop.MaxTokens < 1)
        {
            throw CoordinatorErrors.InvalidArgument("max_tokens must be resolved to at least 1 before routing.");
        }

        ArgumentNullException.ThrowIfNull(request.Sampling);
        ArgumentNullException.ThrowIfNull(request.CacheSalt);
    }
}
