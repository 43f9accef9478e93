using System.Collections.Concurrent;
using Cluster.ClusterState.Model;
using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>
/// A scripted <c>cluster.v1.Worker</c> on a real h2c socket. Tokens are a function of their position in the sequence
/// (<see cref="TokenAt"/>), so a gap or a repeat after a migration changes the output. It records every call; tests
/// script failures through the <c>On…</c> hooks.
/// </summary>
internal sealed class FakeWorker : Worker.WorkerBase, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (string Request, uint Tokens)> _tickets = new();
    private WebApplication? _app;
    private int _ticketCount;

    private FakeWorker(string id, WorkerRole role)
    {
        Id = new WorkerId(id);
        Role = role;
    }

    public WorkerId Id { get; }

    public WorkerRole Role { get; }

    public string Address { get; private set; } = "";

    public string? ExpectedToken { get; init; }

    public ConcurrentQueue<ReserveRequest> Reserves { get; } = new();

    public ConcurrentQueue<PrefillRequest> Prefills { get; } = new();

    public ConcurrentQueue<DecodeRequest> Decodes { get; } = new();

    public ConcurrentQueue<string> Cancels { get; } = new();

    public ConcurrentQueue<string> Authorizations { get; } = new();

    public TaskCompletionSource<string> CancelSeen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Decode started streaming (after its first token was written).</summary>
    public TaskCompletionSource DecodeStreaming { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Throws instead of answering Prefill when set.</summary>
    public RpcException? PrefillFailure { get; set; }

    /// <summary>Answers Reserve instead of reserving when it returns an exception (e.g. RESOURCE_EXHAUSTED, with or without pushback).</summary>
    public Func<ReserveRequest, RpcException?>? ReserveFailure { get; set; }

    /// <summary>ReserveResponse.cached_tokens: leading tokens the fake says it holds for a reservation.</summary>
    public uint ReserveCachedTokens { get; set; }

    /// <summary>What Prefill reports of its KV push (transferred_bytes, transfer_exposed_us, transfer_total_us); 0 = not reported.</summary>
    public (ulong Bytes, ulong ExposedUs, ulong TotalUs) Transfer { get; set; }

    /// <summary>Prompt tokens the fake says it found cached.</summary>
    public uint CachedTokens { get; set; }

    /// <summary>Prompt tokens a Decode without ticket says it took from its prefix cache (on its first token message).</summary>
    public uint LocalCachedTokens { get; set; }

    /// <summary>After this many tokens of a Decode stream, the worker waits for <see cref="Kill"/> and then drops the stream
    /// (connection reset), as a dying worker does. Waiting lets the test see those tokens arrive first.</summary>
    public int? DieAfterTokens { get; set; }

    /// <summary>Completing it kills the stream held at <see cref="DieAfterTokens"/>.</summary>
    public TaskCompletionSource Kill { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Decode waits on this after its first token (to hold a request in flight).</summary>
    public Task HoldAfterFirstToken { get; set; } = Task.CompletedTask;

    public static int TokenAt(int position) => 1000 + (position * 7 % 997);

    public static async Task<FakeWorker> StartAsync(string id, WorkerRole role, string? expectedToken = null)
    {
        var worker = new FakeWorker(id, role) { ExpectedToken = expectedToken };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.EnableDetailedErrors = true);
        builder.Services.AddSingleton(worker);
        worker._app = builder.Build();
        worker._app.MapGrpcService<FakeWorker>();
        await worker._app.StartAsync();
        worker.Address = worker._app.Urls.First();
        return worker;
    }

    public WorkerInfo Info(int totalKvBlocks = 1000, int maxBatch = 8) =>
        new(Id, Role, CoordinatorHarness.Model, Address, Role == WorkerRole.Prefill ? "" : Address, totalKvBlocks, maxBatch);

    public override Task<ReserveResponse> Reserve(ReserveRequest request, ServerCallContext context)
    {
        CheckAuth(context);
        Reserves.Enqueue(request);
        if (ReserveFailure?.Invoke(request) is { } refusal)
        {
            throw refusal;
        }

        var ticket = $"{Id}-t{Interlocked.Increment(ref _ticketCount)}";
        _tickets[ticket] = (request.RequestId, request.PromptTokens);
        return Task.FromResult(new ReserveResponse { Ticket = ticket, NumBlocks = (request.PromptTokens + 15) / 16, CachedTokens = ReserveCachedTokens });
    }

    public override Task<PrefillResponse> Prefill(PrefillRequest request, ServerCallContext context)
    {
        CheckAuth(context);
        Prefills.Enqueue(request);
        if (PrefillFailure is { } failure)
        {
            throw failure;
        }

        return Task.FromResult(new PrefillResponse
        {
            FirstTokenId = (uint)TokenAt(request.PromptTokenIds.Count + request.GeneratedTokenIds.Count),
            FirstTokenLogprob = -0.5f,
            CachedTokens = CachedTokens,
            ComputedTokens = (uint)(request.PromptTokenIds.Count + request.GeneratedTokenIds.Count) - CachedTokens,
            TransferredBytes = Transfer.Bytes,
            TransferExposedUs = Transfer.ExposedUs,
            TransferTotalUs = Transfer.TotalUs,
        });
    }

    public override async Task Decode(DecodeRequest request, IServerStreamWriter<DecodeResponse> responseStream, ServerCallContext context)
    {
        CheckAuth(context);
        Decodes.Enqueue(request);
        if (request.Ticket.Length > 0)
        {
            // The real worker's contract (src/Worker/Grpc/DecodeHandler.cs): the ticket's KV covers the prompt and every
            // generated token but the last (the prefill's first token).
            if (!_tickets.TryRemove(request.Ticket, out var reserved))
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"unknown ticket {request.Ticket}"));
            }

            if (reserved.Request != request.RequestId || request.GeneratedTokenIds.Count < 1
                || reserved.Tokens != request.PromptTokenIds.Count + request.GeneratedTokenIds.Count - 1)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "ticket, prompt length or generated tokens do not match the reservation"));
            }
        }

        var position = request.PromptTokenIds.Count + request.GeneratedTokenIds.Count;
        var produced = request.GeneratedTokenIds.Count;
        var sent = 0;
        while (produced < request.Stop.MaxTokens)
        {
            if (DieAfterTokens is { } k && sent == k)
            {
                await Kill.Task.WaitAsync(context.CancellationToken);
                context.GetHttpContext().Abort();
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }

            var token = (uint)TokenAt(position++);
            produced++;
            var message = new DecodeResponse { TokenIds = { token } };
            if (sent == 0 && request.Ticket.Length == 0)
            {
                message.CachedPromptTokens = LocalCachedTokens;
            }

            if (request.Logprobs)
            {
                message.Logprobs.Add(new TokenLogprob { TokenId = token, Logprob = -1f });
            }

            if (produced == request.Stop.MaxTokens)
            {
                message.FinishReason = FinishReason.Length;
            }

            await responseStream.WriteAsync(message, context.CancellationToken);
            if (++sent == 1)
            {
                DecodeStreaming.TrySetResult();
                await HoldAfterFirstToken.WaitAsync(context.CancellationToken);
            }
        }

        if (produced == request.GeneratedTokenIds.Count)
        {
            await responseStream.WriteAsync(new DecodeResponse { FinishReason = FinishReason.Length }, context.CancellationToken);
        }
    }

    public override Task<CancelResponse> Cancel(CancelRequest request, ServerCallContext context)
    {
        CheckAuth(context);
        Cancels.Enqueue(request.RequestId);
        var found = _tickets.Any(kv => kv.Value.Request == request.RequestId);
        foreach (var kv in _tickets.Where(kv => kv.Value.Request == request.RequestId).ToList())
        {
            _tickets.TryRemove(kv.Key, out _);
        }

        CancelSeen.TrySetResult(request.RequestId);
        return Task.FromResult(new CancelResponse { Found = found });
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private void CheckAuth(ServerCallContext context)
    {
        var presented = context.RequestHeaders.GetValue("authorization") ?? "";
        Authorizations.Enqueue(presented);
        if (ExpectedToken is not null && presented != "Bearer " + ExpectedToken)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "bad cluster token"));
        }
    }
}
