namespace Cluster.Rpc;

/// <summary>
/// A service's methods and their handler delegates. Transport-neutral: a host walks it with
/// <see cref="BindService"/> (Cluster.Rpc.Server's <c>MapRpcService</c> maps each method onto a Kestrel endpoint).
/// </summary>
public sealed partial class ServerServiceDefinition
{
    private readonly IReadOnlyList<MethodEntry> _methods;

    private ServerServiceDefinition(IReadOnlyList<MethodEntry> methods)
    {
        _methods = methods;
    }

    /// <summary>The method descriptions, in the order added.</summary>
    public IEnumerable<IMethod> MethodDescriptions => _methods.Select(m => m.Method);

    /// <summary>Starts a definition.</summary>
    public static Builder CreateBuilder() => new();

    /// <summary>Hands every method with its typed handler to <paramref name="binder"/>, in the order added.</summary>
    public void BindService(ServiceBinderBase binder)
    {
        ArgumentNullException.ThrowIfNull(binder);
        foreach (var method in _methods)
        {
            method.Bind(binder);
        }
    }

    /// <summary>One method and the call that hands it, typed, to a binder.</summary>
    private sealed record MethodEntry(IMethod Method, Action<ServiceBinderBase> Bind);
}
