using System.Reflection;
using Cluster.Rpc.Server;
using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Cluster.Rpc.Tests;

/// <summary>
/// The server's deadline timer and the end of the call race whenever the client's deadline and the server's expire
/// together (the client resets the stream, the handler ends, the call is disposed, the server's timer fires). A deadline
/// callback that runs once the call's token source is disposed must not throw: on the timer thread that ends the
/// process (it crashed the Client.Tests host in a loaded run). The race is replayed step by step, without timing.
/// </summary>
public sealed class ServerDeadlineRaceTests
{
    [Fact]
    public void DeadlineCallback_AfterTheCallTokenSourceWasDisposed_DoesNotThrow()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["grpc-timeout"] = "1H";   // far off: only this test fires the deadline
        var runtime = new ServerRuntime(Options.Create(new RpcServerOptions()), NullLogger<ServerRuntime>.Instance);
        using var call = new HttpServerCall<EchoMessage, EchoMessage>(context, EchoMethods.Unary, runtime);
        call.Start();
        var deadline = PrivateSource(call, "_deadlineCts");

        PrivateSource(call, "_callCts").Dispose();   // the call ended: Dispose got here while the timer callback was starting
        var fired = Record.Exception(deadline.Cancel);   // the timer firing: runs the deadline callback

        Assert.Null(fired);
        Assert.True(call.DeadlineExpired);
    }

    [Fact]
    public async Task Calls_WhoseClientAndServerDeadlinesExpireTogether_AllEndDeadlineExceeded()
    {
        // The same race on real sockets (probabilistic: a crash here would abort the whole test run).
        var service = EchoMethods.UnaryUntilCancelled();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();
        var invoker = channel.CreateCallInvoker();
        using (var warmUp = invoker.AsyncUnaryCall(EchoMethods.Unary, null, new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(50)), new EchoMessage()))
        {
            await Assert.ThrowsAsync<RpcException>(() => warmUp.ResponseAsync.WaitBounded());
        }

        var calls = Enumerable.Range(0, 50)
            .Select(i => invoker.AsyncUnaryCall(EchoMethods.Unary, null, new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(20 + i % 10)), new EchoMessage()))
            .ToList();
        foreach (var call in calls)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());
            Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
            call.Dispose();
        }
    }

    private static CancellationTokenSource PrivateSource(object call, string field) =>
        (CancellationTokenSource)(call.GetType().GetField(field, BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(call)
            ?? throw new InvalidOperationException($"HttpServerCall has no field {field} any more: update this test"));
}
