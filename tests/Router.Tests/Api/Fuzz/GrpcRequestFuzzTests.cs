using System.Collections.Concurrent;
using Cluster.Contracts.V1;
using Cluster.Router.Tests.Api.Infrastructure;
using Grpc.Core;
using Google.Protobuf;

namespace Cluster.Router.Tests.Api.Fuzz;

/// <summary>
/// 10,000 random and mutated <c>GenerateRequest</c>s through the real gRPC pipeline (router + fake coordinator): each
/// is answered OK, INVALID_ARGUMENT or NOT_FOUND (never INTERNAL, UNKNOWN or UNAVAILABLE), and the router stays up.
/// </summary>
public sealed class GrpcRequestFuzzTests
{
    private const int Inputs = 10_000;

    [Fact]
    public async Task Complete_RandomAndMutatedRequests_OnlyOkInvalidArgumentOrNotFound()
    {
        var seed = FuzzSeed.Get();
        await using var router = await RouterHarness.StartAsync();
        using var client = new RawInferenceClient(router.GrpcAddress);
        var failures = new ConcurrentBag<string>();
        var seen = new ConcurrentDictionary<StatusCode, int>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await Parallel.ForEachAsync(Enumerable.Range(0, Inputs), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = deadline.Token }, async (i, ct) =>
        {
            var request = new GenerateRequestMutator(FuzzSeed.For(seed, i)).Next();
            var status = await client.CompleteAsync(request, ct);
            seen.AddOrUpdate(status.StatusCode, 1, (_, n) => n + 1);
            if (status.StatusCode is not (StatusCode.OK or StatusCode.InvalidArgument or StatusCode.NotFound))
            {
                failures.Add($"input {i}: {status.StatusCode} '{status.Detail}' for {Convert.ToBase64String(request)} (base64)");
            }
        });

        Assert.True(failures.IsEmpty, $"ROUTER_FUZZ_SEED={seed}: {failures.Count} failures, e.g.\n{string.Join("\n", failures.Take(5))}");
        Assert.Equal(Inputs, seen.Values.Sum());
        Assert.True(seen.GetValueOrDefault(StatusCode.OK) > Inputs / 100 && seen.GetValueOrDefault(StatusCode.InvalidArgument) > Inputs / 10,
            $"ROUTER_FUZZ_SEED={seed}: the inputs should mix served and refused requests; got {string.Join(", ", seen)}");
        var ok = await router.Grpc.CompleteAsync(new GenerateRequest { Text = "hi" }, router.KeyedOptions()).ResponseAsync;
        Assert.NotEmpty(ok.Text);
    }

    [Theory]
    [InlineData("text", "text")]
    [InlineData("chat", "chat.messages.content")]
    [InlineData("stop", "stop.stop")]
    public async Task Complete_StringFieldNotUtf8_InvalidArgumentNamingIt(string where, string field)
    {
        await using var router = await RouterHarness.StartAsync();
        using var client = new RawInferenceClient(router.GrpcAddress);
        var request = new GenerateRequest { Text = where == "text" ? "aZZ" : "hi" };
        if (where == "chat")
        {
            request.Chat = new ChatPrompt { Messages = { new ChatMessage { Role = "user", Content = "aZZ" } } };
        }
        else if (where == "stop")
        {
            request.Stop = new StopConditions { Stop = { "aZZ" } };
        }

        var bytes = request.ToByteArray();
        var at = bytes.AsSpan().IndexOf("ZZ"u8);
        (bytes[at], bytes[at + 1]) = (0xC3, 0x28); // a broken two-byte sequence
        var status = await client.CompleteAsync(bytes, CancellationToken.None);
        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains($"string field '{field}' is not valid UTF-8", status.Detail, StringComparison.Ordinal);
        Assert.Empty(router.Coordinator.Requests);
    }
}
