using System.Runtime.CompilerServices;

namespace Cluster.Rpc;

/// <summary>Helpers for <see cref="IAsyncStreamReader{T}"/>.</summary>
public static class AsyncStreamReaderExtensions
{
    /// <summary>Reads the whole stream as an async enumerable.</summary>
    public static async IAsyncEnumerable<T> ReadAllAsync<T>(
        this IAsyncStreamReader<T> streamReader,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(streamReader);
        while (await streamReader.MoveNext(cancellationToken))
        {
            yield return streamReader.Current;
        }
    }

    /// <summary>Reads the next message with no cancellation token.</summary>
    public static Task<bool> MoveNext<T>(this IAsyncStreamReader<T> streamReader)
    {
        ArgumentNullException.ThrowIfNull(streamReader);
        return streamReader.MoveNext(CancellationToken.None);
    }
}
