using System.Net;
using Cluster.ClusterState;
using Cluster.Core.Ids;

namespace Cluster.Cli.Up;

/// <summary>Waits, with a deadline, until every role answers <c>/readyz</c> and every worker is registered.</summary>
public static class ClusterReadiness
{
    /// <summary>Polls every HTTP endpoint's <c>/readyz</c> until 200; <paramref name="failure"/> returns a message when a role died.</summary>
    public static async Task WaitHealthyAsync(IEnumerable<(string Name, Uri Http)> roles, Func<string?> failure, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        foreach (var (name, address) in roles)
        {
            await PollAsync(async () =>
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(address, "/readyz"), deadline.Token).ConfigureAwait(false);
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
                catch (TaskCanceledException) when (!deadline.IsCancellationRequested)
                {
                    return false;
                }
            }, failure, $"{name} did not answer {address}readyz with 200 within {timeout.TotalSeconds:F0} s", deadline.Token, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Polls the registry until <paramref name="expected"/> workers of <paramref name="model"/> are live.</summary>
    public static async Task WaitRegisteredAsync(IWorkerRegistry registry, ModelId model, int expected, Func<string?> failure, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        await PollAsync(async () => (await registry.ListAsync(model, cancellationToken: deadline.Token).ConfigureAwait(false)).Length >= expected,
            failure, $"fewer than {expected} workers of model '{model}' registered within {timeout.TotalSeconds:F0} s", deadline.Token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Re-evaluates <paramref name="condition"/> every 50 ms until true; throws <see cref="TimeoutException"/> at the deadline.</summary>
    public static async Task PollAsync(Func<Task<bool>> condition, Func<string?> failure, string timeoutMessage, CancellationToken deadline, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (true)
        {
            if (failure() is { } dead)
            {
                throw new InvalidOperationException(dead);
            }

            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }

                await timer.WaitForNextTickAsync(deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(timeoutMessage);
            }
        }
    }
}
