using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Cli.Up;

/// <summary>
/// The last readiness step: the router routes only workers it has read from the registry (refreshed every
/// <c>Routing:RefreshInterval</c>), so a cluster is ready when a one-token request over a one-token prompt goes
/// through. NOT_FOUND / UNAVAILABLE mean "not yet" and are retried until the deadline; anything else is an error.
/// </summary>
public static class RoutableProbe
{
    public static async Task WaitAsync(Uri routerGrpc, string apiKey, string model, Func<string?> failure, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(routerGrpc);
        var client = new Inference.InferenceClient(channel);
        var headers = apiKey.Length > 0 ? new Metadata { { "authorization", $"Bearer {apiKey}" } } : null;
        var request = new GenerateRequest
        {
            Model = model,
            TokenIds = new TokenIds { Ids = { 10 } },
            Sampling = new SamplingParams { Temperature = 0 },
            Stop = new StopConditions { MaxTokens = 1 },
        };
        var last = "no answer yet";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        async Task<bool> TryOnceAsync()
        {
            try
            {
                using var call = client.Generate(request, new CallOptions(headers, DateTime.UtcNow.AddSeconds(10), deadline.Token));
                await foreach (var unused in call.ResponseStream.ReadAllAsync(deadline.Token).ConfigureAwait(false))
                {
                }

                return true;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                last = $"{e.StatusCode}: {e.Status.Detail}";
                return false;
            }
        }

        try
        {
            await ClusterReadiness.PollAsync(TryOnceAsync, failure, "not routable", deadline.Token, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the router did not serve a one-token request within {timeout.TotalSeconds:F0} s (last answer: {last})");
        }
    }
}
