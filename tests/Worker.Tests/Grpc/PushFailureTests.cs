using Cluster.Worker.Grpc;
using Grpc.Core;

namespace Cluster.Worker.Tests.Grpc;

/// <summary>
/// What a failed KV push answers Prefill with (ARCHITECTURE §7, "transfer fails"): only the decode side being unreachable
/// or broken counts against this prefill worker (UNAVAILABLE: the router tries another); anything else is a transfer
/// failure (ABORTED: the router has the decode worker recompute the prompt), including a failure on this side of the
/// push that is no gRPC status, such as a CUDA error in a device copy.
/// </summary>
public sealed class PushFailureTests
{
    [Theory]
    [InlineData(StatusCode.Unavailable, StatusCode.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded, StatusCode.Unavailable)]
    [InlineData(StatusCode.Internal, StatusCode.Unavailable)]
    [InlineData(StatusCode.Unknown, StatusCode.Unavailable)]
    [InlineData(StatusCode.DataLoss, StatusCode.Aborted)]
    [InlineData(StatusCode.FailedPrecondition, StatusCode.Aborted)]
    [InlineData(StatusCode.NotFound, StatusCode.Aborted)]
    public void ReceiversStatus_DecidesBetweenAnotherPrefillWorkerAndRecomputeOnDecode(StatusCode fromReceiver, StatusCode answered)
    {
        var (code, cause) = PrefillHandler.PushFailure(new RpcException(new Status(fromReceiver, "ticket t-1")));

        Assert.Equal(answered, code);
        Assert.Equal($"{fromReceiver}: ticket t-1", cause);
    }

    [Fact]
    public void FailureOnThisSideThatIsNoGrpcStatus_IsATransferFailure_SoTheDecodeWorkerRecomputes()
    {
        var (code, cause) = PrefillHandler.PushFailure(new InvalidOperationException("CUDA error: invalid device context"));

        Assert.Equal(StatusCode.Aborted, code);
        Assert.Equal("InvalidOperationException: CUDA error: invalid device context", cause);
    }
}
