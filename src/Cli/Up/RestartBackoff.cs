namespace Cluster.Cli.Up;

/// <summary>
/// How long <c>cluster up</c> waits before restarting a role that exited unexpectedly: <see cref="First"/> after the
/// first exit, doubling per further quick exit up to <see cref="Max"/>; a role that ran at least
/// <see cref="StableAfter"/> before exiting starts over at <see cref="First"/>. One instance per supervised role.
/// </summary>
public sealed class RestartBackoff
{
    /// <summary>The first restart delay.</summary>
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(500);

    /// <summary>The largest restart delay.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(10);

    /// <summary>A role that ran this long before exiting is restarted after <see cref="First"/> again.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(30);

    private TimeSpan _current = TimeSpan.Zero;

    /// <summary>The delay before restarting a role that exited after running for <paramref name="ran"/>.</summary>
    public TimeSpan Next(TimeSpan ran)
    {
        _current = ran >= StableAfter || _current == TimeSpan.Zero
            ? First
            : TimeSpan.FromTicks(Math.Min(_current.Ticks * 2, Max.Ticks));
        return _current;
    }
}
