using Cluster.Contracts.V1;
using System.Diagnostics.Metrics;
using Grpc.Core;
using Cluster.Worker.State;
using Cluster.Worker.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.Worker.Tests;

/// <summary>Request priority through real gRPC: a low-priority (batch) request waits behind online ones that arrive later.</summary>
public sealed class PriorityTests : IDisposable
{
    // A long context so the blocker cannot finish while a loaded machine is slow to queue the other two requests.
    private readonly TinyModel _model = new(maxPositions: 32_768);

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task Decode_OneSlotTakenWithALowPriorityRequestWaiting_ALaterOnlineRequestIsAdmittedFirst()
    {
        // One sequence at a time: the blocker holds the slot while a batch request and then an online one queue.
        await using var host = await WorkerHost.StartAsync(WorkerPair.DecodeRole, _model, settings: ["--Engine:MaxSequences=1", "--KvCache:NumBlocks=8200"]);
        using var blocker = host.Client.Decode(Calls.Decode("blocker", TinyModel.Prompt(6, seed: 1), [], 30_000), host.Options());
        Assert.True(await blocker.ResponseStream.MoveNext(CancellationToken.None));

        var batchPrompt = TinyModel.Prompt(7, seed: 2);
        var batchRequest = Calls.Decode("batch", batchPrompt, [], 4);
        batchRequest.Priority = RequestPriority.Low;
        var batchFirstToken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batch = Task.Run(async () =>
        {
            using var call = host.Client.Decode(batchRequest, host.Options());
            var messages = new List<DecodeResponse>();
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                batchFirstToken.TrySetResult();
                messages.Add(call.ResponseStream.Current);
            }

            return messages;
        });
        await Eventually.ReturnsAsync(host.StatusAsync, s => s.WaitingRequests == 1, "the batch request to wait");

        var onlinePrompt = TinyModel.Prompt(5, seed: 3);
        using var online = host.Client.Decode(Calls.Decode("online", onlinePrompt, [], 30_000), host.Options());
        await Eventually.ReturnsAsync(host.StatusAsync, s => s.WaitingRequests == 2, "the online request to wait behind the batch one");

        // The heartbeat's queue: both prompts (7 + 5 tokens), of which the batch request's 7 are low priority (the router
        // leaves them out of an online request's wait).
        var load = host.App.Services.GetServices<IHostedService>().OfType<WorkerRegistration>().Single().Load();
        Assert.Equal((12L, 7L, 5L), (load.QueuedPrefillTokens, load.QueuedLowPriorityPrefillTokens, load.QueuedNormalPriorityPrefillTokens));

        blocker.Dispose();                                       // frees the slot

        // The online request (later arrival, normal priority) takes the slot; the batch one can start only after it ends.
        Assert.True(await online.ResponseStream.MoveNext(CancellationToken.None));
        Assert.False(batchFirstToken.Task.IsCompleted, "the low-priority request ran before the online one that arrived after it");
        Assert.Equal(_model.Greedy(onlinePrompt, 1), online.ResponseStream.Current.TokenIds.Select(t => (int)t).Take(1));
        Assert.Equal(1u, (await host.StatusAsync()).WaitingRequests);
        var sequences = Sequences(host);
        Assert.Equal(1, sequences[("running", "normal")]);
        Assert.Equal(1, sequences[("waiting", "low")]);
        Assert.Equal(0, sequences[("running", "low")]);
        Assert.Equal(0, sequences[("waiting", "normal")]);

        online.Dispose();                                        // idle capacity again: the batch request runs
        var messages = await batch.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(_model.Greedy(batchPrompt, 4), Calls.Tokens(messages));
        Assert.Equal(FinishReason.Length, messages[^1].FinishReason);
    }

    // cluster.engine.sequences of this host's meters (by state and priority), read once.
    private static Dictionary<(string State, string Priority), int> Sequences(WorkerHost host)
    {
        var factory = host.Get<IMeterFactory>();
        var values = new Dictionary<(string, string), int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "cluster.engine.sequences" && ReferenceEquals(instrument.Meter.Scope, factory)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            string? state = null, priority = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "state") state = (string?)tag.Value;
                if (tag.Key == "priority") priority = (string?)tag.Value;
            }

            values[(state ?? "?", priority ?? "?")] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    [Fact]
    public async Task Decode_UnknownPriority_InvalidArgumentNamingTheField()
    {
        await using var host = await WorkerHost.StartAsync(WorkerPair.DecodeRole, _model);
        var request = Calls.Decode("bad-priority", [1, 2], [], 4);
        request.Priority = (RequestPriority)7;

        var e = await Assert.ThrowsAsync<RpcException>(() => Calls.ReadAllAsync(host, request));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("priority = 7", e.Status.Detail, StringComparison.Ordinal);
    }
}
