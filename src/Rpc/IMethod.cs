namespace Cluster.Rpc;

/// <summary>A method description without its message types.</summary>
public interface IMethod
{
    /// <summary>The call kind.</summary>
    MethodType Type { get; }

    /// <summary>The fully qualified service name, e.g. <c>cluster.v1.Inference</c>.</summary>
    string ServiceName { get; }

    /// <summary>The method name, e.g. <c>Generate</c>.</summary>
    string Name { get; }

    /// <summary>The HTTP/2 path, <c>/package.Service/Method</c>.</summary>
    string FullName { get; }
}
