using Cluster.Core.Ids;
using Cluster.Engine.Scheduling;

namespace Cluster.Engine.Serving;

/// <summary>What other threads ask of the engine loop, which alone touches its state.</summary>
internal abstract record EngineCommand
{
    /// <summary>Queue a request whose tokens must be computed.</summary>
    public sealed record Add(EngineSequence Sequence) : EngineCommand;

    /// <summary>Start decoding a request whose prompt KV was imported into its (already taken) reservation.</summary>
    public sealed record AddImported(EngineSequence Sequence, int FirstToken) : EngineCommand;

    /// <summary>Stop a request and free its blocks.</summary>
    public sealed record Cancel(RequestId Id) : EngineCommand;

    /// <summary>Blocks were freed outside the loop (a released reservation or export): look at the queue again.</summary>
    public sealed record Wake : EngineCommand;
}
