using Cluster.Contracts.V1;
using Cluster.Core.Kv;
using Cluster.KvTransfer;
using Grpc.Core;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>Bad requests get the documented status, with a message naming what to fix.</summary>
public sealed class BadInputTests(WorkerPair pair) : IClassFixture<WorkerPair>
{
    [Fact]
    public Task Prefill_EmptyPrompt_InvalidArgument() =>
        ExpectAsync(StatusCode.InvalidArgument, "prompt_token_ids", () => pair.Prefill.Client.PrefillAsync(new PrefillRequest { RequestId = "e" }, pair.Prefill.Options()).ResponseAsync);

    [Fact]
    public Task Prefill_TokenOutsideVocabulary_InvalidArgument()
    {
        var request = new PrefillRequest { RequestId = "v" };
        request.PromptTokenIds.Add([1, 2, TinyModel.VocabSize]);
        return ExpectAsync(StatusCode.InvalidArgument, "prompt_token_ids[2]", () => pair.Prefill.Client.PrefillAsync(request, pair.Prefill.Options()).ResponseAsync);
    }

    [Fact]
    public Task Decode_TemperatureOutOfRange_InvalidArgument()
    {
        var request = Calls.Decode("t", [1, 2], [], 4);
        request.Sampling = new SamplingParams { Temperature = 3 };
        return ExpectAsync(StatusCode.InvalidArgument, "sampling.temperature", () => Calls.ReadAllAsync(pair.Decode, request));
    }

    /// <summary>The router always refused an infinite repetition penalty; the worker took it (two validators). Now one.</summary>
    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NaN)]
    public Task Decode_RepetitionPenaltyNotFinite_InvalidArgument(float penalty)
    {
        var request = Calls.Decode("rp", [1, 2], [], 4);
        request.Sampling = new SamplingParams { RepetitionPenalty = penalty };
        return ExpectAsync(StatusCode.InvalidArgument, "sampling.repetition_penalty must be a finite number > 0", () => Calls.ReadAllAsync(pair.Decode, request));
    }

    [Fact]
    public Task Prefill_UnknownPriority_InvalidArgument()
    {
        var request = new PrefillRequest { RequestId = "p", Model = TinyModel.Id, Priority = (RequestPriority)3 };
        request.PromptTokenIds.Add([1, 2]);
        return ExpectAsync(StatusCode.InvalidArgument, "priority = 3 is unknown", () => pair.Prefill.Client.PrefillAsync(request, pair.Prefill.Options()).ResponseAsync);
    }

    [Fact]
    public Task Prefill_TopKBeyondInt_InvalidArgument()
    {
        var request = new PrefillRequest { RequestId = "k", Sampling = new SamplingParams { TopK = uint.MaxValue } };
        request.PromptTokenIds.Add([1, 2]);
        return ExpectAsync(StatusCode.InvalidArgument, "sampling.top_k must be in [0, 2147483647]", () => pair.Prefill.Client.PrefillAsync(request, pair.Prefill.Options()).ResponseAsync);
    }

    [Fact]
    public Task Decode_EmptyRequestId_InvalidArgument() =>
        ExpectAsync(StatusCode.InvalidArgument, "request_id", () => Calls.ReadAllAsync(pair.Decode, Calls.Decode("", [1], [], 2)));

    [Fact]
    public Task Decode_TooLongForTheModel_InvalidArgument() =>
        ExpectAsync(StatusCode.InvalidArgument, "positions", () => Calls.ReadAllAsync(pair.Decode, Calls.Decode("long", TinyModel.Prompt(4097, 1), [], 2)));

    [Fact]
    public Task Decode_UnknownTicket_NotFound() =>
        ExpectAsync(StatusCode.NotFound, "Ticket", () => Calls.ReadAllAsync(pair.Decode, Calls.Decode("u", [1, 2], [3], 4, ticket: "feedfeed")));

    [Fact]
    public async Task Decode_TransferNotDone_FailedPreconditionAndTheReservationStays()
    {
        var reserve = await pair.Decode.Client.ReserveAsync(new ReserveRequest { RequestId = "incomplete", PromptTokens = 8 }, pair.Decode.Options());

        await ExpectAsync(StatusCode.FailedPrecondition, "not complete", () => Calls.ReadAllAsync(pair.Decode, Calls.Decode("incomplete", TinyModel.Prompt(8, 1), [3], 4, reserve.Ticket)));

        Assert.True((await pair.Decode.Client.CancelAsync(new CancelRequest { RequestId = "incomplete" }, pair.Decode.Options())).Found);
    }

    [Fact]
    public Task Decode_OnPrefillWorker_FailedPrecondition() =>
        ExpectAsync(StatusCode.FailedPrecondition, "prefill worker", () => Calls.ReadAllAsync(pair.Prefill, Calls.Decode("p", [1], [], 2)));

    [Fact]
    public Task Reserve_OtherModel_NotFound() =>
        ExpectAsync(StatusCode.NotFound, "tiny", () => pair.Decode.Client.ReserveAsync(new ReserveRequest { RequestId = "m", Model = "llama", PromptTokens = 4 }, pair.Decode.Options()).ResponseAsync);

    [Fact]
    public Task Reserve_LayoutMismatch_FailedPrecondition()
    {
        var layout = new KvCacheLayout(Layers: 3, KvHeads: 2, HeadDim: 16, KvDataType.Float32, BlockSize: 4).ToProto();
        return ExpectAsync(StatusCode.FailedPrecondition, "layout", () =>
            pair.Decode.Client.ReserveAsync(new ReserveRequest { RequestId = "l", PromptTokens = 4, Layout = layout }, pair.Decode.Options()).ResponseAsync);
    }

    [Fact]
    public Task Reserve_PromptLongerThanTheModel_InvalidArgument() =>
        ExpectAsync(StatusCode.InvalidArgument, "prompt_tokens", () => pair.Decode.Client.ReserveAsync(new ReserveRequest { RequestId = "big", PromptTokens = 5000 }, pair.Decode.Options()).ResponseAsync);

    [Fact]
    public async Task Reserve_CacheFull_ResourceExhausted()
    {
        // 1,000 tokens = 250 of the 1,100 blocks: the fifth reservation does not fit.
        for (var i = 0; i < 4; i++)
        {
            await pair.Decode.Client.ReserveAsync(new ReserveRequest { RequestId = $"fill-{i}", PromptTokens = 1000 }, pair.Decode.Options());
        }

        await ExpectAsync(StatusCode.ResourceExhausted, "KV blocks", () =>
            pair.Decode.Client.ReserveAsync(new ReserveRequest { RequestId = "fill-4", PromptTokens = 1000 }, pair.Decode.Options()).ResponseAsync);
        for (var i = 0; i < 4; i++)
        {
            await pair.Decode.Client.CancelAsync(new CancelRequest { RequestId = $"fill-{i}" }, pair.Decode.Options());
        }

        await pair.Decode.WaitAllBlocksFreeAsync();
    }

    [Fact]
    public async Task Prefill_PushToAWorkerThatIsGone_UnavailableAndKvReleased()
    {
        var request = new PrefillRequest { RequestId = "gone", DecodeEndpoint = "http://127.0.0.1:1", Ticket = "abc" };
        request.PromptTokenIds.Add([1, 2, 3, 4, 5]);

        await ExpectAsync(StatusCode.Unavailable, "KV transfer", () => pair.Prefill.Client.PrefillAsync(request, pair.Prefill.Options()).ResponseAsync);

        await pair.Prefill.WaitAllBlocksFreeAsync();
    }

    [Fact]
    public async Task Prefill_UnknownTicketOnTheDecodeWorker_AbortedAndKvReleased()
    {
        var request = new PrefillRequest { RequestId = "bad-ticket", DecodeEndpoint = pair.Decode.Endpoint.ToString(), Ticket = "0123" };
        request.PromptTokenIds.Add([1, 2, 3, 4, 5]);

        await ExpectAsync(StatusCode.Aborted, "NotFound", () => pair.Prefill.Client.PrefillAsync(request, pair.Prefill.Options()).ResponseAsync);

        await pair.Prefill.WaitAllBlocksFreeAsync();
    }

    private static async Task ExpectAsync(StatusCode code, string mention, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, e.StatusCode);
        Assert.Contains(mention, e.Status.Detail, StringComparison.Ordinal);
    }
}
