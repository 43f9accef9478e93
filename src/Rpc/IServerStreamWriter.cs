namespace Cluster.Rpc;

/// <summary>The response stream of a server handler.</summary>
public interface IServerStreamWriter<in T> : IAsyncStreamWriter<T>
{
}
