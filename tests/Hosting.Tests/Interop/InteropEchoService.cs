using Grpc.AspNetCore.Server;
using Grpc.Core;

namespace Cluster.Hosting.Tests.Interop;

/// <summary>Our server's side of interop.Echo, with the semantics of tests/interop/server.js.</summary>
[BindServiceMethod(typeof(InteropEchoService), nameof(BindService))]
public class InteropEchoService
{
    /// <summary>grpc-dotnet's binding: handlers are found by name among the virtual methods declared here.</summary>
    public static void BindService(ServiceBinderBase binder, InteropEchoService? service)
    {
        binder.AddMethod(EchoMethods.Unary, (UnaryServerMethod<EchoMessage, EchoMessage>?)null);
        binder.AddMethod(EchoMethods.ServerStream, (ServerStreamingServerMethod<EchoMessage, EchoMessage>?)null);
        binder.AddMethod(EchoMethods.ClientStream, (ClientStreamingServerMethod<EchoMessage, EchoMessage>?)null);
        binder.AddMethod(EchoMethods.Duplex, (DuplexStreamingServerMethod<EchoMessage, EchoMessage>?)null);
    }

    public static readonly byte[] Details = [1, 2, 3, 255];

    public TaskCompletionSource UnaryCancelled { get; } = Bounded.NewSignal();

    /// <summary>The grpc-encoding of the last unary request (to prove a client really compressed).</summary>
    public string? LastUnaryEncoding { get; private set; }

    public TaskCompletionSource ServerStreamCancelled { get; } = Bounded.NewSignal();

    public static RpcException EchoError() => new(
        new Status(StatusCode.InvalidArgument, "interop error ü 100%"),
        new Metadata { { "grpc-status-details-bin", Details }, { "x-error", "yes" } });

    public virtual async Task<EchoMessage> Unary(EchoMessage request, ServerCallContext context)
    {
        LastUnaryEncoding = context.GetHttpContext().Request.Headers["grpc-encoding"].ToString();
        if (request.Text == "error")
        {
            throw EchoError();
        }

        if (request.Text == "wait")
        {
            await WaitForCancellation(context, UnaryCancelled);
        }

        var headers = new Metadata();
        if (context.RequestHeaders.GetValue("x-test") is { } test)
        {
            headers.Add("x-echo", test);
        }

        if (context.RequestHeaders.GetValueBytes("x-test-bin") is { } testBin)
        {
            headers.Add("x-echo-bin", testBin);
        }

        await context.WriteResponseHeadersAsync(headers);
        context.ResponseTrailers.Add("x-trailer", "done");
        return new EchoMessage { Text = "echo:" + request.Text, Payload = request.Payload, Count = request.Count };
    }

    public virtual async Task ServerStream(EchoMessage request, IServerStreamWriter<EchoMessage> responses, ServerCallContext context)
    {
        if (request.Text == "wait")
        {
            await responses.WriteAsync(new EchoMessage { Text = "first" });
            await WaitForCancellation(context, ServerStreamCancelled);
        }

        for (var i = 0; i < request.Count; i++)
        {
            await responses.WriteAsync(new EchoMessage { Count = i, Payload = request.Payload });
        }
    }

    public virtual async Task<EchoMessage> ClientStream(IAsyncStreamReader<EchoMessage> requests, ServerCallContext context)
    {
        var count = 0;
        var bytes = 0;
        await foreach (var message in requests.ReadAllAsync(context.CancellationToken))
        {
            count++;
            bytes += message.Payload.Length;
        }

        return new EchoMessage { Count = count, Text = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }

    public virtual async Task Duplex(IAsyncStreamReader<EchoMessage> requests, IServerStreamWriter<EchoMessage> responses, ServerCallContext context)
    {
        await foreach (var message in requests.ReadAllAsync(context.CancellationToken))
        {
            if (message.Text == "error")
            {
                throw EchoError();
            }

            await responses.WriteAsync(new EchoMessage { Text = "echo:" + message.Text, Payload = message.Payload });
        }
    }

    private static async Task WaitForCancellation(ServerCallContext context, TaskCompletionSource signal)
    {
        var fired = Bounded.NewSignal();
        using (context.CancellationToken.Register(fired.SetResult))
        {
            await fired.Task.WaitBounded();
        }

        signal.TrySetResult();
        context.CancellationToken.ThrowIfCancellationRequested();
    }
}
