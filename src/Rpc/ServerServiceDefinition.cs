using Cluster.Rpc.Server;

namespace Cluster.Rpc;

/// <summary>A service's methods and their handlers, mapped onto endpoints by <c>MapRpcService</c>.</summary>
public sealed partial class ServerServiceDefinition
{
    private ServerServiceDefinition(IReadOnlyList<ServerMethodBinding> methods)
    {
        Methods = methods;
    }

    /// <summary>The bound methods, in the order added.</summary>
    internal IReadOnlyList<ServerMethodBinding> Methods { get; }

    /// <summary>The method descriptions, in the order added.</summary>
    public IEnumerable<IMethod> MethodDescriptions => Methods.Select(m => m.Method);

    /// <summary>Starts a definition.</summary>
    public static Builder CreateBuilder() => new();
}
