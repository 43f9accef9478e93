namespace Cluster.Client;

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    /// <summary>An end-of-sequence token, a stop token or a stop string.</summary>
    Stop,

    /// <summary>The token limit or the model's context length was reached.</summary>
    Length,

    /// <summary>The request was cancelled.</summary>
    Cancelled,
}
