namespace Cluster.Router.Coordination;

/// <summary>
/// Options <c>Slo:*</c>: the latency targets the live goodput counter judges every finished request against
/// (<c>cluster.router.goodput.requests</c>, ARCHITECTURE §9). A request meets the SLO when its time to first token and
/// its mean time per output token are both within bounds (DistServe's goodput).
/// </summary>
public sealed class SloOptions
{
    public const string SectionName = "Slo";

    /// <summary>Default <see cref="TimeToFirstToken"/>: 2 s.</summary>
    public static readonly TimeSpan DefaultTimeToFirstToken = TimeSpan.FromSeconds(2);

    /// <summary>Default <see cref="TimePerOutputToken"/>: 100 ms.</summary>
    public static readonly TimeSpan DefaultTimePerOutputToken = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest acceptable time to first token.</summary>
    public TimeSpan TimeToFirstToken { get; set; } = DefaultTimeToFirstToken;

    /// <summary>Longest acceptable mean time per output token after the first.</summary>
    public TimeSpan TimePerOutputToken { get; set; } = DefaultTimePerOutputToken;
}
