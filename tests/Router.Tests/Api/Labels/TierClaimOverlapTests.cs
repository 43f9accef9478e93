using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Router.Api;
using Cluster.Router.Api.Text;
using Cluster.Router.Coordination;
using Cluster.Router.Models;
using Cluster.Router.Orleans.Grains;
using Cluster.Router.Orleans.Hosting;
using Cluster.Router.Tests.Api.Infrastructure;
using Cluster.Router.Tests.Coordination;
using Cluster.Router.Tier;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Api.Labels;

/// <summary>
/// The id claim on the router tier's request grain overlaps the routing decision (ARCHITECTURE §6, hot path): a real
/// silo (localhost clustering) and <see cref="GrainRequestLabels"/> in front of the real coordinator and fake workers.
/// A refused claim still ends the request with 409 and nothing sent to a worker; a request cancelled while its claim is
/// in flight leaves the id free on the grain.
/// </summary>
public sealed class TierClaimOverlapTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly ClaimCallHook _hook = new();
    private IHost _silo = null!;
    private IGrainFactory _grains = null!;
    private GrainRequestLabels _labels = null!;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["RouterTier:ClusterId"] = $"claim-overlap-{Guid.NewGuid():N}" });
        Assert.True(builder.AddRouterTier(), "the router tier did not start a silo");
        builder.Services.AddSingleton<IOutgoingGrainCallFilter>(_hook);
        _silo = builder.Build();
        await _silo.StartAsync().WaitAsync(Bound);
        _grains = _silo.Services.GetRequiredService<IGrainFactory>();
        var local = new LiveRequestLabels();
        _labels = new GrainRequestLabels(local, new LocalRequestCanceller(local), _grains, _silo.Services.GetRequiredService<RouterIdentity>(), NullLogger<GrainRequestLabels>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _silo.StopAsync();
        _silo.Dispose();
    }

    [Fact]
    public async Task IdHeldByAnotherRouter_IsRefusedConflict_WithNothingSentToWorkers_AndTheirClaimUntouched()
    {
        var other = new RequestOwner("router-other", "internal-other");
        Assert.True((await _grains.GetGrain<IRequestGrain>("job-dup").TryClaimAsync(other, ClientPrincipals.Anonymous, null)).Claimed);
        await using var harness = CoordinatorHarness.Create();
        var workers = new[] { await harness.AddWorkerAsync("p1", WorkerRole.Prefill), await harness.AddWorkerAsync("d1", WorkerRole.Decode), await harness.AddWorkerAsync("c1", WorkerRole.Colocated) };
        var generator = new TextGenerator(harness.Coordinator, _labels);

        var e = await Assert.ThrowsAsync<ApiException>(() => generator.CompleteAsync(Prepared("job-dup")).WaitAsync(Bound));

        Assert.Equal(ApiErrorKind.Conflict, e.Kind);
        Assert.Contains("another router", e.Message, StringComparison.Ordinal);
        foreach (var w in workers)
        {
            Assert.True(w.Reserves.IsEmpty && w.Prefills.IsEmpty && w.Decodes.IsEmpty, $"{w.Id} was called for a refused id");
        }

        var still = await _grains.GetGrain<IRequestGrain>("job-dup").TryClaimAsync(new RequestOwner("router-third", "internal-third"), ClientPrincipals.Anonymous, null);
        Assert.False(still.Claimed);
        Assert.Equal(other, still.Holder.Owner); // the first request's claim stands
    }

    [Fact]
    public async Task CallerCancelledWhileTheClaimIsInFlight_TheIdIsFreeOnTheGrainAfterwards()
    {
        using var caller = new CancellationTokenSource();
        _hook.OnClaim = caller.Cancel; // the caller goes away as the claim leaves for the grain: it lands after the cancel
        var generator = new TextGenerator(new CancelledCoordinator(), _labels);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.CompleteAsync(Prepared("job-gone"), caller.Token).WaitAsync(Bound));

        await _hook.Answered.Task.WaitAsync(Bound); // the claim reached the grain (after the cancel) and was answered
        Assert.Null(await _grains.GetGrain<IRequestGrain>("job-gone").GetAsync()); // and what it claimed was released
    }

    [Fact]
    public async Task IdMadeUpByTheRouter_RunsToTheEndWhileItsClaimIsHeld_ThenTheClaimLandsAndIsReleased()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hook.Gate = gate.Task; // the claim waits here, before it leaves for the grain
        await using var harness = CoordinatorHarness.Create();
        await harness.AddWorkerAsync("c1", WorkerRole.Colocated);
        using var cancel = new CancellationTokenSource();
        var request = CoordinatorHarness.Request(promptTokens: 30, maxTokens: 3);
        var label = await _labels.ClaimAsync(new LabelClaim(RequestId.New().Value, request.Id.Value, ClientPrincipals.Anonymous, cancel, ChosenByRouter: true), default);

        // Finishes with the grain's answer still held back: nothing waited for it (with a client's id, the run waits).
        var events = await RunAsync(harness, request with { Progress = label, Precondition = label.Confirmed });
        Assert.Single(events.OfType<CoordinatorEvent.Finished>());
        Assert.False(_hook.Answered.Task.IsCompleted, "the claim was answered before the request ran: the test did not hold it");

        var disposed = label.DisposeAsync().AsTask(); // waits for the claim's answer, then releases what it claimed
        gate.SetResult();
        await _hook.Answered.Task.WaitAsync(Bound);
        await disposed.WaitAsync(Bound);
        await _hook.Released.Task.WaitAsync(Bound);
    }

    [Fact]
    public async Task ClientChosenId_WaitsForItsClaim_BeforeAnyWorkerCall()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hook.Gate = gate.Task;
        await using var harness = CoordinatorHarness.Create();
        var worker = await harness.AddWorkerAsync("c1", WorkerRole.Colocated);
        using var cancel = new CancellationTokenSource();
        var request = CoordinatorHarness.Request(promptTokens: 30, maxTokens: 3);
        await using var label = await _labels.ClaimAsync(new LabelClaim("job-client", request.Id.Value, ClientPrincipals.Anonymous, cancel), default);

        var run = RunAsync(harness, request with { Progress = label, Precondition = label.Confirmed });
        await _hook.Held.Task.WaitAsync(Bound);
        Assert.False(run.IsCompleted);
        Assert.True(worker.Reserves.IsEmpty && worker.Prefills.IsEmpty && worker.Decodes.IsEmpty, "a worker was called before the id's claim was answered");

        gate.SetResult();
        Assert.Single((await run.WaitAsync(Bound)).OfType<CoordinatorEvent.Finished>());
    }

    private static async Task<List<CoordinatorEvent>> RunAsync(CoordinatorHarness harness, TokenizedRequest request)
    {
        using var timeout = new CancellationTokenSource(Bound);
        var all = new List<CoordinatorEvent>();
        await foreach (var e in harness.Coordinator.RunAsync(request, timeout.Token))
        {
            all.Add(e);
        }

        return all;
    }

    private static PreparedRequest Prepared(string label)
    {
        var model = new ServedModel(CoordinatorHarness.Model, TinyModel.Tokenizer, null, TinyModel.ContextLength, [257], "test", 0);
        return new PreparedRequest(model, CoordinatorHarness.Request(promptTokens: 30, maxTokens: 3) with { Label = label }, []);
    }

    /// <summary>
    /// Runs <see cref="OnClaim"/> once, as the next claim call leaves this silo (before it is sent), or holds the next
    /// claim call until <see cref="Gate"/> completes (<see cref="Held"/> once it waits); <see cref="Answered"/> once that
    /// claim is answered, <see cref="Released"/> once a release is.
    /// </summary>
    private sealed class ClaimCallHook : IOutgoingGrainCallFilter
    {
        private Action? _onClaim;
        private Task? _gate;

        public Action? OnClaim { get => Volatile.Read(ref _onClaim); set => Volatile.Write(ref _onClaim, value); }

        public Task? Gate { get => Volatile.Read(ref _gate); set => Volatile.Write(ref _gate, value); }

        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Answered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task Invoke(IOutgoingGrainCallContext context)
        {
            var claim = context.MethodName == nameof(IRequestGrain.TryClaimAsync);
            var hooked = claim && Interlocked.Exchange(ref _onClaim, null) is { } onClaim && Run(onClaim);
            if (claim && Interlocked.Exchange(ref _gate, null) is { } gate)
            {
                hooked = true;
                Held.TrySetResult();
                await gate;
            }

            await context.Invoke();
            if (hooked)
            {
                Answered.TrySetResult();
            }

            if (context.MethodName == nameof(IRequestGrain.ReleaseAsync) && context.InterfaceMethod?.DeclaringType == typeof(IRequestGrain))
            {
                Released.TrySetResult();
            }
        }

        private static bool Run(Action action)
        {
            action();
            return true;
        }
    }

    /// <summary>Ends as a coordinator does for a caller that is gone.</summary>
    private sealed class CancelledCoordinator : Cluster.Router.Coordination.IRequestCoordinator
    {
        public async IAsyncEnumerable<Cluster.Router.Coordination.CoordinatorEvent> RunAsync(Cluster.Router.Coordination.TokenizedRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield break;
        }
    }
}
