using System.Diagnostics;

namespace Cluster.Client.Tests.RealCluster;

/// <summary>Counts streamed tokens and the pace at which they arrived (from the first token on).</summary>
internal sealed class TimedStream
{
    private readonly Stopwatch _clock = new();
    private int _tokensAtFirstChunk;

    public int Tokens { get; private set; }

    /// <summary>Mean time per token after the first chunk; zero until a second chunk with tokens arrived.</summary>
    public TimeSpan PerToken => Tokens > _tokensAtFirstChunk ? _clock.Elapsed / (Tokens - _tokensAtFirstChunk) : TimeSpan.Zero;

    public void Add(GenerationChunk chunk)
    {
        if (chunk.TokenIds.Count == 0)
        {
            return;
        }

        if (!_clock.IsRunning)
        {
            _clock.Start();
            _tokensAtFirstChunk = chunk.TokenIds.Count;
        }

        Tokens += chunk.TokenIds.Count;
    }
}
