namespace Cluster.Router.Routing;

/// <summary>The names accepted by <c>Routing:DisaggregationPolicy</c> (validated at start-up).</summary>
public static class DisaggregationPolicyNames
{
    /// <summary>Disaggregate when the measured exposed transfer time is below D's own prefill time (the default).</summary>
    public const string MeasuredCost = "measured-cost";

    /// <summary>Disaggregate whenever the floor <c>Routing:MinDisaggregatedTokens</c> is met.</summary>
    public const string Threshold = "threshold";

    /// <summary>Every accepted name.</summary>
    public static IReadOnlyList<string> All { get; } = [MeasuredCost, Threshold];
}
