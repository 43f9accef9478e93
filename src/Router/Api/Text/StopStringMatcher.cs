using System.Text;

namespace Cluster.Router.Api.Text;

/// <summary>
/// Applies stop strings to streamed text. Text is released only once it can no longer be the start of a stop string,
/// so a stop string split across tokens (or chunks) is still found and never leaks out; the stop string itself is
/// not part of the output.
/// </summary>
internal sealed class StopStringMatcher(IReadOnlyList<string> stops)
{
    private readonly StringBuilder _held = new();
    private readonly int _longest = stops.Count == 0 ? 0 : stops.Max(s => s.Length);

    /// <summary>Adds text; returns what may be emitted now and whether a stop string ended the output.</summary>
    public (string Emit, bool Stopped) Push(string text)
    {
        if (_longest == 0)
        {
            return (text, false);
        }

        _held.Append(text);
        var held = _held.ToString();
        var match = -1;
        foreach (var stop in stops)
        {
            var at = held.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (match < 0 || at < match))
            {
                match = at;
            }
        }

        if (match >= 0)
        {
            _held.Clear();
            return (held[..match], true);
        }

        var keep = HeldFrom(held);
        _held.Remove(0, keep);
        return (held[..keep], false);
    }

    /// <summary>The end of the output: everything still held back.</summary>
    public string Flush()
    {
        var rest = _held.ToString();
        _held.Clear();
        return rest;
    }

    // The earliest position whose suffix is a proper prefix of some stop string (that text must wait).
    private int HeldFrom(string held)
    {
        for (var i = Math.Max(0, held.Length - _longest + 1); i < held.Length; i++)
        {
            var tail = held.AsSpan(i);
            foreach (var stop in stops)
            {
                if (stop.AsSpan().StartsWith(tail, StringComparison.Ordinal))
                {
                    return i;
                }
            }
        }

        return held.Length;
    }
}
