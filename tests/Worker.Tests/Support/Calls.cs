using Cluster.Contracts.V1;
using Grpc.Core;

namespace Cluster.Worker.Tests.Support;

/// <summary>The router's three calls of a disaggregated request, and a Decode stream read to its end.</summary>
public static class Calls
{
    public static StopConditions Stop(int maxTokens) => new() { MaxTokens = (uint)maxTokens, IgnoreEos = true };

    /// <summary>Reserve on <paramref name="decode"/>, Prefill on <paramref name="prefill"/> pushing there; the ticket and the prefill's answer.</summary>
    public static async Task<(string Ticket, PrefillResponse First)> PrefillToAsync(WorkerHost prefill, WorkerHost decode, string id, int[] prompt)
    {
        var reserve = await decode.Client.ReserveAsync(new ReserveRequest { RequestId = id, Model = TinyModel.Id, PromptTokens = (uint)prompt.Length }, decode.Options());
        var request = new PrefillRequest { RequestId = id, Model = TinyModel.Id, DecodeEndpoint = decode.Endpoint.ToString(), Ticket = reserve.Ticket };
        request.PromptTokenIds.Add(prompt.Select(t => (uint)t));
        var first = await prefill.Client.PrefillAsync(request, prefill.Options());
        return (reserve.Ticket, first);
    }

    public static DecodeRequest Decode(string id, int[] prompt, IEnumerable<int> generated, int maxTokens, string ticket = "", bool logprobs = false)
    {
        var request = new DecodeRequest { RequestId = id, Ticket = ticket, Stop = Stop(maxTokens), Logprobs = logprobs };
        request.PromptTokenIds.Add(prompt.Select(t => (uint)t));
        request.GeneratedTokenIds.Add(generated.Select(t => (uint)t));
        return request;
    }

    /// <summary>Every message of a Decode stream.</summary>
    public static async Task<List<DecodeResponse>> ReadAllAsync(WorkerHost host, DecodeRequest request, CancellationToken cancellationToken = default)
    {
        using var call = host.Client.Decode(request, host.Options(cancellationToken));
        var messages = new List<DecodeResponse>();
        while (await call.ResponseStream.MoveNext(cancellationToken)) messages.Add(call.ResponseStream.Current);
        return messages;
    }

    public static List<int> Tokens(IEnumerable<DecodeResponse> messages) => [.. messages.SelectMany(m => m.TokenIds).Select(t => (int)t)];
}
