namespace Cluster.Router.Api.Text;

/// <summary>
/// Where a request claims its client label (request id) for as long as it runs. <see cref="LiveRequestLabels"/>: this
/// router only. The router tier (src/Router/Tier): every router of the cluster, through the request's grain.
/// </summary>
public interface IRequestLabels
{
    /// <summary>Claims <paramref name="label"/> for the request <paramref name="internalId"/> until the handle is disposed.</summary>
    /// <exception cref="ApiException">Kind <see cref="ApiErrorKind.Conflict"/>: a live request already uses the label.</exception>
    ValueTask<IAsyncDisposable> ClaimAsync(string label, string internalId, CancellationToken cancellationToken);
}
