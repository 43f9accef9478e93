namespace Cluster.Router.Coordination;

/// <summary>What one finished request recorded (<see cref="RequestMeasurement"/>): metric tags, times in seconds, counts.</summary>
internal readonly record struct RequestSummary(
    string Api,
    string Model,
    string Operation,
    string Outcome,
    string FinishReason,
    string ErrorType,
    double? TimeToFirstToken,
    double? TimePerOutputToken,
    double Duration,
    int PromptTokens,
    int CachedTokens,
    int TransferredTokens,
    int OutputTokens,
    string Violated)
{
    public const string Ok = "ok";
    public const string Error = "error";
    public const string Cancelled = "cancelled";

    /// <summary>Prompt tokens whose KV was computed for this request (not from a prefix cache).</summary>
    public int ComputedTokens => Math.Max(0, PromptTokens - CachedTokens);
}
