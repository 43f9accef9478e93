using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Router.Api;
using Cluster.Router.Api.Text;
using Cluster.Router.Coordination;
using Cluster.Router.Models;
using Cluster.Router.Tests.Api.Infrastructure;
using Grpc.Core;

namespace Cluster.Router.Tests.Api.Text;

/// <summary>
/// A worker call ending CANCELLED is the caller's cancellation when the request's own token fired (found by the soak
/// test: a deadline that expired inside the router reached the client as INTERNAL "the cluster failed the request
/// (Cancelled)"), and a retryable UNAVAILABLE otherwise, never INTERNAL.
/// </summary>
public sealed class TextGeneratorFailureTests
{
    private static readonly ServedModel Model = new(new ModelId(TinyModel.Id), TinyModel.Tokenizer, null, TinyModel.ContextLength, [257], "test", 0);

    [Fact]
    public async Task WorkerCallCancelled_ByTheRequestsOwnToken_IsTheCallersCancellation()
    {
        using var cts = new CancellationTokenSource();
        var generator = new TextGenerator(new FailingCoordinator(() => cts.Cancel()));

        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.CompleteAsync(Prepared(), cts.Token));

        Assert.Equal(cts.Token, e.CancellationToken);
    }

    [Fact]
    public async Task WorkerCallCancelled_NotByTheRequest_IsUnavailableNotInternal()
    {
        var generator = new TextGenerator(new FailingCoordinator(() => { }));

        var e = await Assert.ThrowsAsync<ApiException>(() => generator.CompleteAsync(Prepared()));

        Assert.Equal(ApiErrorKind.Unavailable, e.Kind);
    }

    private static PreparedRequest Prepared() => new(Model,
        new TokenizedRequest(RequestId.New(), Model.Id, [72, 105], new SamplingParams(), new StopConditions { MaxTokens = 4 }, false, ""), []);

    /// <summary>Runs <paramref name="beforeFailing"/>, then fails as a worker call cancelled under it does.</summary>
    private sealed class FailingCoordinator(Action beforeFailing) : IRequestCoordinator
    {
        public async IAsyncEnumerable<CoordinatorEvent> RunAsync(TokenizedRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            beforeFailing();
            throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
#pragma warning disable CS0162 // an async iterator needs a yield
            yield break;
#pragma warning restore CS0162
        }
    }
}
