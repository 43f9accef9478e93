using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Engine.Scheduling;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Reservations;
using Grpc.Core;
using Cluster.Worker.Engine;
using Cluster.Worker.Requests;

namespace Cluster.Worker.Grpc;

/// <summary><c>cluster.v1.Worker</c> (semantics in proto/cluster/v1/worker.proto and README.md). Prefill and Decode live in their handlers.</summary>
internal sealed class WorkerGrpcService(
    WorkerEngine worker,
    WorkerIdentity identity,
    WorkerRequests requests,
    PrefillRateMeter prefillRate,
    WorkerGuards guards,
    KvReservationTable reservations,
    PrefillHandler prefill,
    DecodeHandler decode) : Contracts.V1.Worker.WorkerBase
{
    public override Task<ReserveResponse> Reserve(ReserveRequest request, ServerCallContext context)
    {
        RequestValidation.RequireId(request.RequestId);
        guards.Admit("Reserve", request.Model, EngineRole.Prefill);
        if (request.PromptTokens == 0) throw RequestValidation.Invalid("prompt_tokens is 0: reserve KV for at least one prompt token.");
        var positions = worker.MaxPositions;
        if (request.PromptTokens >= positions)
        {
            throw RequestValidation.Invalid($"prompt_tokens = {request.PromptTokens} leaves no room to generate: this worker runs at most {positions} positions (Worker:MaxModelLength).");
        }

        var layout = worker.Engine.Storage.Layout;
        if (layout.BlocksFor((int)request.PromptTokens) > worker.Engine.Stats.TotalBlocks)
        {
            throw RequestValidation.Invalid($"prompt_tokens = {request.PromptTokens} needs more KV blocks than this worker's whole cache ({worker.Engine.Stats.TotalBlocks} blocks of {layout.BlockSize}).");
        }

        ReserveAdmission.Check(request, positions, worker.Engine);
        Cluster.Core.Kv.KvCacheLayout? sender = null;
        if (request.Layout is not null)
        {
            sender = KvLayoutMapping.FromProto(request.Layout, out var error) ?? throw RequestValidation.Invalid($"layout: {error}.");
        }

        var tokenIds = RequestValidation.Tokens(request.TokenIds, "token_ids", worker.VocabSize, required: false);
        if (tokenIds.Length != 0 && tokenIds.Length != request.PromptTokens)
        {
            throw RequestValidation.Invalid($"token_ids holds {tokenIds.Length} tokens but prompt_tokens is {request.PromptTokens}: send exactly the reserved tokens (prompt, then any generated), or none.");
        }

        var result = reservations.Reserve(new RequestId(request.RequestId), (int)request.PromptTokens, model: null, sender, tokenIds, request.CacheSalt);
        if (!result.Succeeded)
        {
            var code = result.Failure switch
            {
                ReserveFailure.CacheFull => throw ReserveAdmission.NoRoomNow(result.Message ?? "No room now: the KV cache is full; retry later."),
                ReserveFailure.Mismatch => StatusCode.FailedPrecondition,
                ReserveFailure.AlreadyReserved => StatusCode.AlreadyExists,
                _ => StatusCode.InvalidArgument,
            };
            throw CallFailures.Status(code, result.Message ?? result.Failure.ToString());
        }

        return Task.FromResult(new ReserveResponse
        {
            Ticket = result.Ticket,
            NumBlocks = (uint)result.Blocks,
            LeaseExpiresUnixMs = result.LeaseExpiresAt.ToUnixTimeMilliseconds(),
            Layout = layout.ToProto(),
            CachedTokens = (uint)(result.CachedBlocks * layout.BlockSize),
        });
    }

    public override Task<PrefillResponse> Prefill(PrefillRequest request, ServerCallContext context) => prefill.HandleAsync(request, context);

    public override Task Decode(DecodeRequest request, IServerStreamWriter<DecodeResponse> responseStream, ServerCallContext context) =>
        decode.HandleAsync(request, responseStream, context);

    public override Task<CancelResponse> Cancel(CancelRequest request, ServerCallContext context)
    {
        RequestValidation.RequireId(request.RequestId);
        var id = new RequestId(request.RequestId);
        var found = requests.TryCancel(id);
        found |= reservations.Cancel(id);
        var engine = worker.Engine;
        if (engine.ExportableTokens(id) is not null)
        {
            engine.ReleaseKv(id);
            found = true;
        }

        engine.Cancel(id);   // a sequence not (or no longer) tracked here: a no-op when there is none
        return Task.FromResult(new CancelResponse { Found = found });
    }

    public override Task<WorkerStatus> Status(StatusRequest request, ServerCallContext context)
    {
        var stats = worker.Engine.Stats;
        return Task.FromResult(new WorkerStatus
        {
            WorkerId = identity.Id.Value,
            Role = identity.Role switch
            {
                ClusterState.Model.WorkerRole.Prefill => WorkerRole.Prefill,
                ClusterState.Model.WorkerRole.Decode => WorkerRole.Decode,
                _ => WorkerRole.Colocated,
            },
            Model = worker.ModelId.Value,
            KvBlocksTotal = (uint)stats.TotalBlocks,
            KvBlocksFree = (uint)(stats.TotalBlocks - stats.UsedBlocks),
            RunningRequests = (uint)requests.Running,
            WaitingRequests = (uint)requests.Waiting,
            ComputedPromptTokens = (ulong)requests.ComputedPromptTokens,
            CachedPromptTokens = (ulong)requests.CachedPromptTokens,
            PrefillTokensPerSecond = prefillRate.TokensPerSecond,
            GeneratedTokens = (ulong)stats.GeneratedTokens,
            KvReceivedBytes = (ulong)reservations.ReceivedBytes,
            KvReceivedRequests = (ulong)reservations.HandedOver,
            KvReusedTokens = (ulong)reservations.ReusedTokens,
            KvReservations = (uint)reservations.Count,
        });
    }
}
