using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Cluster.ClusterState.Redis;

/// <summary>
/// A Lua script called by SHA1 (EVALSHA: the script text is not resent per call). When the server does not know the
/// script (first call, or Redis restarted and lost its script cache), it falls back to EVAL, which caches it again.
/// </summary>
public sealed class RedisScript
{
    private readonly byte[] _sha1;

    public RedisScript(string name, string text)
    {
        Name = name;
        Text = text;
        _sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Name used in logs and the <c>operation</c> tag of error metrics.</summary>
    public string Name { get; }

    /// <summary>The Lua source.</summary>
    public string Text { get; }

    /// <summary>EVALSHA, or EVAL when the server answers NOSCRIPT.</summary>
    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await database.ScriptEvaluateAsync(_sha1, keys, values).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await database.ScriptEvaluateAsync(Text, keys, values).ConfigureAwait(false);
        }
    }
}
