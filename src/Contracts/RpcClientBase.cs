using Cluster.Rpc;

namespace Cluster.Contracts;

/// <summary>Base of the typed clients: holds the <see cref="CallInvoker"/> the calls go through.</summary>
public abstract class RpcClientBase
{
    protected RpcClientBase(CallInvoker callInvoker)
    {
        ArgumentNullException.ThrowIfNull(callInvoker);
        CallInvoker = callInvoker;
    }

    protected RpcClientBase(RpcChannel channel)
        : this((channel ?? throw new ArgumentNullException(nameof(channel))).CreateCallInvoker())
    {
    }

    /// <summary>Where calls are started.</summary>
    protected CallInvoker CallInvoker { get; }

    /// <summary>The error a server method answers with when the service does not implement it.</summary>
    internal static RpcException Unimplemented(string fullName) =>
        new(new Status(StatusCode.Unimplemented, $"Method {fullName} is not implemented by this server."));
}
