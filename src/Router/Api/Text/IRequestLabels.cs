using Cluster.Router.Coordination;

namespace Cluster.Router.Api.Text;

/// <summary>
/// Where a request claims its client label (request id) for as long as it runs, and where a cancel naming a label finds
/// it. <see cref="LiveRequestLabels"/>: this router only. The router tier (src/Router/Tier): every router of the cluster,
/// through the request's grain.
/// </summary>
public interface IRequestLabels
{
    /// <summary>
    /// Claims <see cref="LabelClaim.Label"/> for its request until the handle is disposed. Returns once it is claimed on
    /// this router; a claim that also asks other routers (the tier) goes on in the background, its answer is
    /// <see cref="ILabelHandle.Confirmed"/>, so that the round trip overlaps the routing decision.
    /// </summary>
    /// <exception cref="ApiException">Kind <see cref="ApiErrorKind.Conflict"/>: a live request on this router already uses the label.</exception>
    ValueTask<ILabelHandle> ClaimAsync(LabelClaim claim, CancellationToken cancellationToken);

    /// <summary>
    /// Cancels the live request labelled <paramref name="label"/> when it belongs to <paramref name="principal"/>, on
    /// whichever router runs it; false when there is none for that principal (unknown, finished, or another's).
    /// </summary>
    ValueTask<bool> CancelAsync(string label, string principal, CancellationToken cancellationToken);
}

/// <summary>A request's claim of its label.</summary>
/// <param name="Label">The client's request id.</param>
/// <param name="InternalId">The router's own id of the request.</param>
/// <param name="Principal">Who runs it (<see cref="ClientPrincipals"/>): only the same principal may cancel it by id.</param>
/// <param name="Cancel">Cancelled by a cancel naming the label: the request then ends as when its client went away.</param>
/// <param name="ChosenByRouter">The label is a fresh random id this router made up (the client sent none): unique by
/// construction, so <see cref="ILabelHandle.Confirmed"/> need not wait for other routers.</param>
public sealed record LabelClaim(string Label, string InternalId, string Principal, CancellationTokenSource Cancel, bool ChosenByRouter = false);

/// <summary>
/// A held label: disposing frees it (after the cluster-wide answer, when one is still in flight, so that nothing it
/// claimed stays claimed); the coordinator reports the request's route through it.
/// </summary>
public interface ILabelHandle : IAsyncDisposable, IRequestProgress
{
    /// <summary>
    /// Completes when the label is the request's cluster-wide (at once for one router alone); faults with an
    /// <see cref="ApiException"/> of kind <see cref="ApiErrorKind.Conflict"/> when a live request on another router
    /// holds it. Nothing may reach a worker before it completes. Complete at once for a label
    /// <see cref="LabelClaim.ChosenByRouter"/> (the tier's claim, for cancels from other routers, goes on behind it).
    /// </summary>
    Task Confirmed { get; }
}
