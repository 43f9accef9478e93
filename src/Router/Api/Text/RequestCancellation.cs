namespace Cluster.Router.Api.Text;

/// <summary>
/// A cancel naming a client request id (gRPC <c>Inference.Cancel</c>, HTTP <c>POST /v1/requests/{id}/cancel</c>): the
/// caller's own live request with that id, on whichever router runs it (<see cref="IRequestLabels"/>), ends as when its
/// client goes away: Cancel reaches every worker it touched and its KV is freed; its stream ends with
/// <see cref="ApiErrorKind.Cancelled"/>. The cancel answers once the owner has cancelled, not once the request ended.
/// </summary>
public sealed class RequestCancellation(IRequestLabels labels)
{
    /// <exception cref="ApiException">
    /// <see cref="ApiErrorKind.InvalidArgument"/>: not a valid request id (naming <paramref name="field"/>);
    /// <see cref="ApiErrorKind.RequestNotFound"/>: no live request of <paramref name="principal"/> has that id (the same
    /// answer for an unknown id, a finished one and another principal's).
    /// </exception>
    public async Task CancelAsync(string requestId, string principal, string field, CancellationToken cancellationToken)
    {
        RequestPreparer.CheckRequestId(requestId, field);
        if (!await labels.CancelAsync(requestId, principal, cancellationToken).ConfigureAwait(false))
        {
            throw new ApiException(ApiErrorKind.RequestNotFound,
                $"No running request with request id '{requestId}' was started with these credentials: it finished, never existed, or belongs to another API key.",
                field);
        }
    }
}
