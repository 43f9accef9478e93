using System.Text;

namespace Cluster.ClusterState.Redis;

/// <summary>
/// The connect log of StackExchange.Redis, read for one thing: whether the server refused the credentials
/// (<c>NOAUTH</c>, <c>WRONGPASS</c> or an <c>AuthenticationFailure</c> fault) during any connect attempt. The log masks
/// the password; nothing else of it is kept.
/// </summary>
internal sealed class HandshakeAuthWatch : TextWriter
{
    private static readonly string[] Markers = ["NOAUTH", "WRONGPASS", "AuthenticationFailure"];
    private readonly StringBuilder _line = new();
    private readonly Lock _sync = new();
    private string? _refusal;

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>The first log line that shows a refusal, or null.</summary>
    public string? Refusal
    {
        get
        {
            lock (_sync)
            {
                return _refusal ?? Match(_line.ToString());
            }
        }
    }

    public override void Write(char value)
    {
        lock (_sync)
        {
            if (value != '\n')
            {
                _line.Append(value);
                return;
            }

            _refusal ??= Match(_line.ToString());
            _line.Clear();
        }
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? string.Empty)
        {
            Write(c);
        }
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        Write('\n');
    }

    private static string? Match(string line) =>
        Array.Exists(Markers, m => line.Contains(m, StringComparison.Ordinal)) ? line.Trim() : null;
}
