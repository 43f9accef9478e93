using Cluster.Core.Ids;
using Cluster.Router.Api;
using Cluster.Router.Coordination;
using Cluster.Router.Routing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerLoad = Cluster.ClusterState.Model.WorkerLoad;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>
/// What overlaps on a run's critical path (ARCHITECTURE §6, hot path): the request's precondition (the id claim) is
/// awaited before any worker call, and the decode admission runs alongside the Reserve on D, whose reservation is
/// cancelled (awaited) when the admission refuses, another decode worker then being tried.
/// </summary>
public sealed class CriticalPathOverlapTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly WorkerLoad Busy = new(1000, 4, 0, 0, 0, 0);

    [Fact]
    public async Task RunAsync_AdmissionRefusesAfterTheSpeculativeReserve_ReservationCancelledFirst_AnotherDecodeWorkerServes()
    {
        var admission = new ScriptedAdmission();
        await using var harness = Create(configure: s => s.AddSingleton<IDecodeAdmission>(admission));
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var refused = await harness.AddWorkerAsync("d1", WorkerRole.Decode); // chosen first: idle by its heartbeat
        var spare = await harness.AddWorkerAsync("d2", WorkerRole.Decode, Busy);
        var reserveSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        refused.ReserveFailure = _ => { reserveSeen.TrySetResult(); return null; };
        var cancelledBeforeSpare = (bool?)null;
        spare.ReserveFailure = r => { cancelledBeforeSpare = refused.Cancels.Contains(r.RequestId); return null; };
        // The admission answers only once D has seen the Reserve: the two ran at once.
        admission.Answer = async (decode, _) => decode.Id.Value == "d1"
            ? await reserveSeen.Task.WaitAsync(Bound).ContinueWith(_ => DecodeAdmissionResult.NoRoomNow("router tier: full", TimeSpan.FromMinutes(10)), TaskScheduler.Default)
            : DecodeAdmissionResult.Admitted(admission.Track());

        var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 30, maxTokens: 3, id: "r1")));

        Assert.Equal(Expected(30, 3), tokens);
        Assert.Single(refused.Reserves);
        Assert.Equal(["r1"], refused.Cancels);
        Assert.Empty(refused.Decodes);
        Assert.True(cancelledBeforeSpare, "the speculative reservation on d1 was not cancelled before d2 was reserved");
        Assert.Single(spare.Decodes);
        Assert.Equal(0, admission.Held); // d2's admission released at the end
    }

    [Fact]
    public async Task RunAsync_ReserveRefusedWhileAdmitted_AdmissionReleased_AnotherDecodeWorkerServes()
    {
        var admission = new ScriptedAdmission();
        await using var harness = Create(configure: s => s.AddSingleton<IDecodeAdmission>(admission));
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var full = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        var spare = await harness.AddWorkerAsync("d2", WorkerRole.Decode, Busy);
        full.ReserveFailure = _ => new RpcException(new Status(StatusCode.ResourceExhausted, "No room now"), new Metadata { { CoordinatorErrors.RetryPushbackTrailer, "600000" } });
        var heldAtSpare = -1;
        spare.ReserveFailure = _ => { heldAtSpare = admission.Held; return null; };
        admission.Answer = (_, _) => Task.FromResult(DecodeAdmissionResult.Admitted(admission.Track()));

        var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 30, maxTokens: 3)));

        Assert.Equal(Expected(30, 3), tokens);
        Assert.Equal(1, heldAtSpare); // d1's admission was released before d2's was taken (one admission held, d2's)
        Assert.Equal(0, admission.Held);
    }

    [Fact]
    public async Task RunAsync_PreconditionFails_ItsErrorEndsTheRunWithNothingSentToWorkers()
    {
        await using var harness = Create();
        var workers = new[] { await harness.AddWorkerAsync("p1", WorkerRole.Prefill), await harness.AddWorkerAsync("d1", WorkerRole.Decode), await harness.AddWorkerAsync("c1", WorkerRole.Colocated) };
        var claim = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = harness.Coordinator.RunAsync(Request(promptTokens: 30, maxTokens: 3) with { Precondition = claim.Task }).ToListAsync().AsTask();
        claim.SetException(new ApiException(ApiErrorKind.Conflict, "request id in use on another router", "request_id"));

        var e = await Assert.ThrowsAsync<ApiException>(() => run.WaitAsync(Bound));

        Assert.Equal(ApiErrorKind.Conflict, e.Kind);
        AssertUntouched(workers);
    }

    [Fact]
    public async Task RunAsync_CancelledWhileThePreconditionIsPending_EndsCancelledWithNothingSentToWorkers()
    {
        await using var harness = Create();
        var workers = new[] { await harness.AddWorkerAsync("p1", WorkerRole.Prefill), await harness.AddWorkerAsync("d1", WorkerRole.Decode) };
        var claim = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // never answers
        using var cts = new CancellationTokenSource();
        var run = harness.Coordinator.RunAsync(Request(promptTokens: 30, maxTokens: 3) with { Precondition = claim.Task }, cts.Token).ToListAsync().AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Bound));

        AssertUntouched(workers);
    }

    private static void AssertUntouched(FakeWorker[] workers)
    {
        foreach (var w in workers)
        {
            Assert.True(w.Reserves.IsEmpty && w.Prefills.IsEmpty && w.Decodes.IsEmpty && w.Cancels.IsEmpty,
                $"{w.Id} was called: {w.Reserves.Count} Reserve, {w.Prefills.Count} Prefill, {w.Decodes.Count} Decode, {w.Cancels.Count} Cancel");
        }
    }

    /// <summary>An admission answering as <see cref="Answer"/> says, counting the leases it handed out and not yet got back.</summary>
    private sealed class ScriptedAdmission : IDecodeAdmission
    {
        private int _held;

        public Func<RoutingCandidate, int, Task<DecodeAdmissionResult>> Answer { get; set; } = (_, _) => throw new InvalidOperationException("no answer scripted");

        public int Held => Volatile.Read(ref _held);

        public IDisposable Track()
        {
            Interlocked.Increment(ref _held);
            return new Release(this);
        }

        public ValueTask<DecodeAdmissionResult> TryAdmitAsync(RequestId request, RoutingCandidate decode, int blocks, CancellationToken cancellationToken) =>
            new(Answer(decode, blocks));

        private sealed class Release(ScriptedAdmission owner) : IDisposable
        {
            private int _done;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _done, 1) == 0)
                {
                    Interlocked.Decrement(ref owner._held);
                }
            }
        }
    }
}
