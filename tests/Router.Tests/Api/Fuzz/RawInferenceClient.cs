using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Router.Tests.Api.Fuzz;

/// <summary>Calls <c>cluster.v1.Inference/Complete</c> with raw request bytes (so malformed messages reach the server).</summary>
internal sealed class RawInferenceClient(Uri address) : IDisposable
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    private static readonly Method<byte[], byte[]> Complete = new(
        MethodType.Unary, Inference.ServiceName, "Complete", Bytes, Bytes);

    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(address);

    /// <summary>The call's status: OK, or the code the server answered with.</summary>
    public async Task<Status> CompleteAsync(byte[] request, CancellationToken cancellationToken)
    {
        try
        {
            await _channel.CreateCallInvoker().AsyncUnaryCall(Complete, null, new CallOptions(cancellationToken: cancellationToken), request).ResponseAsync;
            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }

    public void Dispose() => _channel.Dispose();
}
