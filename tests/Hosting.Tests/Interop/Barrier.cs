namespace Cluster.Hosting.Tests.Interop;

/// <summary>Bounded waits on TaskCompletionSource barriers, so a broken test fails instead of hanging.</summary>
internal static class Bounded
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static TaskCompletionSource<T> NewSignal<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task WaitBounded(this Task task) => task.WaitAsync(Timeout);

    public static Task<T> WaitBounded<T>(this Task<T> task) => task.WaitAsync(Timeout);
}
