namespace Cluster.Torch;

/// <summary>An error raised inside libtorch or the native op layer, carrying libtorch's message.</summary>
public sealed class TorchException : Exception
{
    public TorchException() { }

    public TorchException(string message) : base(message) { }

    public TorchException(string message, Exception innerException) : base(message, innerException) { }
}
