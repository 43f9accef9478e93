using Cluster.Router.Coordination;

namespace Cluster.Router.Api.Text;

/// <summary>
/// Where a request claims its client label (request id) for as long as it runs, and where a cancel naming a label finds
/// it. <see cref="LiveRequestLabels"/>: this router only. The router tier (src/Router/Tier): every router of the cluster,
/// through the request's grain.
/// </summary>
public interface IRequestLabels
{
    /// <summary>Claims <see cref="LabelClaim.Label"/> for its request until the handle is disposed.</summary>
    /// <exception cref="ApiException">Kind <see cref="ApiErrorKind.Conflict"/>: a live request already uses the label.</exception>
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
public sealed record LabelClaim(string Label, string InternalId, string Principal, CancellationTokenSource Cancel);

/// <summary>A held label: disposing frees it; the coordinator reports the request's route through it.</summary>
public interface ILabelHandle : IAsyncDisposable, IRequestProgress;
