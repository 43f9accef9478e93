namespace Cluster.Worker.Tests.Support;

/// <summary>Waits (bounded) for a condition that background loops (heartbeat, KV events) make true.</summary>
public static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what, int timeoutSeconds = 30)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        while (true)
        {
            var value = await read();
            if (condition(value)) return value;
            if (timeout.IsCancellationRequested) throw new TimeoutException($"Timed out waiting for {what}; last value: {value}");
            await Task.Delay(10, CancellationToken.None);
        }
    }
}
