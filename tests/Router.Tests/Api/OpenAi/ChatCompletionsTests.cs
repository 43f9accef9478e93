using System.Net;
using System.Text.Json;
using Cluster.Contracts.V1;
using Cluster.Router.Tests.Api.Infrastructure;

namespace Cluster.Router.Tests.Api.OpenAi;

public sealed class ChatCompletionsTests
{
    private const string Messages = """[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"},{"type":"text","text":" there"}]}]""";

    [Fact]
    public async Task ChatCompletions_NotStreamed_ReturnsAssistantMessageAndUsage()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.Reason = FinishReason.Stop;
        var (status, body, _) = await OpenAiHttp.PostJsonAsync(router.Http, "/v1/chat/completions", $$"""{"model":"tiny","messages":{{Messages}}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("chat.completion", body.Str("object"));
        Assert.StartsWith("chatcmpl-", body.Str("id"), StringComparison.Ordinal);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").Str("role"));
        Assert.Equal(router.Coordinator.Output, choice.GetProperty("message").Str("content"));
        Assert.Equal("stop", choice.Str("finish_reason"));
        var expected = TinyModel.Tokenizer.Encode("<|begin_of_text|>system: Be brief.\nuser: Hi there\nassistant: ", addSpecialTokens: false, allowSpecialTokens: true);
        var sent = router.Coordinator.LastRequest;
        Assert.Equal(expected, sent.PromptTokens);
        Assert.Equal((uint)(TinyModel.ContextLength - expected.Length), sent.Stop.MaxTokens);
        var usage = body.GetProperty("usage");
        Assert.Equal(expected.Length, usage.Int("prompt_tokens"));
        Assert.Equal(router.Coordinator.Output.Length, usage.Int("completion_tokens"));
    }

    [Fact]
    public async Task ChatCompletions_Streamed_FirstDeltaHasRoleThenContentThenFinishThenUsageThenDone()
    {
        await using var router = await RouterHarness.StartAsync();
        var (events, done, _) = await OpenAiHttp.PostSseAsync(router.Http, "/v1/chat/completions",
            $$"""{"messages":{{Messages}},"max_completion_tokens":8,"stream":true,"stream_options":{"include_usage":true},"logprobs":true}""");

        Assert.True(done);
        Assert.All(events, e => Assert.Equal("chat.completion.chunk", e.Str("object")));
        Assert.Single(events.Select(e => e.Str("id")).Distinct());
        var chunks = events[..^1];
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").Str("role"));
        Assert.All(chunks.Skip(1), c => Assert.False(c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("role", out _)));
        Assert.Equal(router.Coordinator.Output[..8], string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta").Str("content"))));
        Assert.Equal("length", chunks[^1].GetProperty("choices")[0].Str("finish_reason"));
        var logprobs = chunks.SelectMany(c => c.GetProperty("choices")[0].GetProperty("logprobs") is { ValueKind: JsonValueKind.Object } l
            ? l.GetProperty("content").EnumerateArray().ToArray() : []).ToList();
        Assert.Equal(8, logprobs.Count);
        Assert.Equal("H", logprobs[0].Str("token"));
        Assert.Equal(FakeCoordinator.LogprobOf(7), logprobs[7].GetProperty("logprob").GetSingle());
        Assert.Equal([72], logprobs[0].GetProperty("bytes").EnumerateArray().Select(b => b.GetInt32()));
        Assert.Equal(8, events[^1].GetProperty("usage").Int("completion_tokens"));
    }

    [Fact]
    public async Task ChatCompletions_StreamWithoutIncludeUsage_SendsNoUsageChunk()
    {
        await using var router = await RouterHarness.StartAsync();
        var (events, done, _) = await OpenAiHttp.PostSseAsync(router.Http, "/v1/chat/completions",
            $$"""{"messages":{{Messages}},"max_tokens":4,"stream":true}""");
        Assert.True(done);
        Assert.All(events, e => Assert.Single(e.GetProperty("choices").EnumerateArray()));
        Assert.All(events, e => Assert.False(e.TryGetProperty("usage", out _)));
    }

    [Fact]
    public async Task Models_ListsTheCatalogInOpenAiShape()
    {
        await using var router = await RouterHarness.StartAsync();
        var response = await router.Http.GetAsync("/v1/models");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("list", body.Str("object"));
        var model = Assert.Single(body.GetProperty("data").EnumerateArray());
        Assert.Equal(("tiny", "model", "cluster"), (model.Str("id"), model.Str("object"), model.Str("owned_by")));
        Assert.True(model.GetProperty("created").GetInt64() > 1_700_000_000);
    }

    [Fact]
    public async Task ChatCompletions_ClientDisconnectsMidStream_CancelsTheCoordinatorRun()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.HangAfterTokens = 3;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"messages":{{Messages}},"stream":true}""", System.Text.Encoding.UTF8, "application/json"),
        };
        // No draining on dispose: the connection closes at once, as when a client process dies.
        using var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = router.HttpAddress };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await router.Coordinator.Hanging.Task.WaitAsync(TimeSpan.FromSeconds(30));
        response.Dispose();

        await router.Coordinator.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
