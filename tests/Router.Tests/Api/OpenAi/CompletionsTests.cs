using System.Net;
using System.Text.Json;
using Cluster.Contracts.V1;
using Cluster.Router.Tests.Api.Infrastructure;

namespace Cluster.Router.Tests.Api.OpenAi;

public sealed class CompletionsTests
{
    [Fact]
    public async Task Completions_NotStreamed_ReturnsOpenAiShapeWithUsageAndDefaultSixteenTokens()
    {
        await using var router = await RouterHarness.StartAsync();
        var (status, body, response) = await OpenAiHttp.PostJsonAsync(router.Http, "/v1/completions", """{"model":"tiny","prompt":"Hi","temperature":0,"seed":7,"user":"u1"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var id = router.Coordinator.LastRequest.Label;
        Assert.NotEqual(router.Coordinator.LastRequest.Id.Value, id);
        Assert.Equal("cmpl-" + id, body.Str("id"));
        Assert.Equal(id, response.Headers.GetValues("x-request-id").Single());
        Assert.Equal("text_completion", body.Str("object"));
        Assert.Equal("tiny", body.Str("model"));
        Assert.True(body.GetProperty("created").GetInt64() > 1_700_000_000);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(0, choice.Int("index"));
        Assert.Equal(router.Coordinator.Output[..16], choice.Str("text"));
        Assert.Equal("length", choice.Str("finish_reason"));
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        var usage = body.GetProperty("usage");
        Assert.Equal((2, 16, 18, 4), (usage.Int("prompt_tokens"), usage.Int("completion_tokens"), usage.Int("total_tokens"), usage.GetProperty("prompt_tokens_details").Int("cached_tokens")));
        var sent = router.Coordinator.LastRequest;
        Assert.Equal(16u, sent.Stop.MaxTokens);
        Assert.Equal(0f, sent.Sampling.Temperature);
        Assert.Equal(7ul, sent.Sampling.Seed);
    }

    [Fact]
    public async Task Completions_TokenArrayPromptAndExtensions_ReachTheCoordinator()
    {
        await using var router = await RouterHarness.StartAsync();
        var (status, body, _) = await OpenAiHttp.PostJsonAsync(router.Http, "/v1/completions",
            """{"prompt":[72,105],"max_tokens":5,"top_p":0.9,"top_k":40,"min_p":0.05,"repetition_penalty":1.1,"presence_penalty":0.5,"frequency_penalty":-0.5,"ignore_eos":true,"stop_token_ids":[10]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Hello", body.GetProperty("choices")[0].Str("text"));
        var sent = router.Coordinator.LastRequest;
        Assert.Equal([72, 105], sent.PromptTokens);
        Assert.Equal(new SamplingParams { Temperature = 1, TopP = 0.9f, TopK = 40, MinP = 0.05f, RepetitionPenalty = 1.1f, PresencePenalty = 0.5f, FrequencyPenalty = -0.5f }, sent.Sampling);
        Assert.True(sent.Stop.IgnoreEos);
        Assert.Equal([10u], sent.Stop.StopTokenIds);
        Assert.Equal(5u, sent.Stop.MaxTokens);
    }

    [Fact]
    public async Task Completions_Logprobs_ReturnsTokensLogprobsAndOffsets()
    {
        await using var router = await RouterHarness.StartAsync();
        var (_, body, _) = await OpenAiHttp.PostJsonAsync(router.Http, "/v1/completions", """{"prompt":"a","max_tokens":3,"logprobs":0}""");
        var logprobs = body.GetProperty("choices")[0].GetProperty("logprobs");
        Assert.Equal(["H", "e", "l"], logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal([FakeCoordinator.LogprobOf(0), FakeCoordinator.LogprobOf(1), FakeCoordinator.LogprobOf(2)], logprobs.GetProperty("token_logprobs").EnumerateArray().Select(t => t.GetSingle()));
        Assert.Equal([0, 1, 2], logprobs.GetProperty("text_offset").EnumerateArray().Select(t => t.GetInt32()));
        Assert.All(logprobs.GetProperty("top_logprobs").EnumerateArray(), t => Assert.Empty(t.EnumerateObject()));
        Assert.Equal(3, logprobs.GetProperty("top_logprobs").GetArrayLength());
        Assert.True(router.Coordinator.LastRequest.Logprobs);
    }

    [Fact]
    public async Task Completions_Streamed_SendsSseChunksThenUsageThenDone()
    {
        await using var router = await RouterHarness.StartAsync();
        var (events, done, response) = await OpenAiHttp.PostSseAsync(router.Http, "/v1/completions",
            """{"prompt":"Hi","max_tokens":10,"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.True(done);
        var usageChunk = events[^1];
        Assert.Empty(usageChunk.GetProperty("choices").EnumerateArray());
        Assert.Equal(12, usageChunk.GetProperty("usage").Int("total_tokens"));
        var chunks = events[..^1];
        Assert.True(chunks.Count >= 4);
        Assert.All(chunks, c => Assert.Equal("text_completion", c.Str("object")));
        Assert.Equal(router.Coordinator.Output[..10], string.Concat(chunks.Select(c => c.GetProperty("choices")[0].Str("text"))));
        Assert.All(chunks[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
        Assert.Equal("length", chunks[^1].GetProperty("choices")[0].Str("finish_reason"));
    }

    [Fact]
    public async Task Completions_StopStringsSplitAcrossChunks_AreHeldBackAndNotIncluded()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.TokensPerEvent = 1;
        var (events, done, _) = await OpenAiHttp.PostSseAsync(router.Http, "/v1/completions",
            """{"prompt":"Hi","max_tokens":40,"stream":true,"stop":["quack","quick"]}""");

        Assert.True(done);
        var texts = events.Select(c => c.GetProperty("choices")[0].Str("text")).ToList();
        Assert.Equal("Hello, world! The ", string.Concat(texts));
        Assert.DoesNotContain(texts, t => t.Contains('q', StringComparison.Ordinal));
        Assert.Equal("stop", events[^1].GetProperty("choices")[0].Str("finish_reason"));
        await router.Coordinator.EndedEarly.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Completions_StopStringNotMatched_HeldTextIsReleasedAtTheEnd()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.Output = "abc fox";
        router.Coordinator.Reason = FinishReason.Stop;
        var (_, body, _) = await OpenAiHttp.PostJsonAsync(router.Http, "/v1/completions", """{"prompt":"Hi","max_tokens":40,"stop":"foxes"}""");
        Assert.Equal("abc fox", body.GetProperty("choices")[0].Str("text"));
        Assert.Equal("stop", body.GetProperty("choices")[0].Str("finish_reason"));
    }

    [Fact]
    public async Task Completions_MultiByteCharactersOverSeveralTokens_NeverSplitAndStopMatchesThem()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.Output = "café ☕ then more";
        router.Coordinator.TokensPerEvent = 1;
        var (events, done, _) = await OpenAiHttp.PostSseAsync(router.Http, "/v1/completions",
            """{"prompt":"Hi","max_tokens":40,"stream":true,"stop":"☕"}""");

        Assert.True(done);
        var texts = events.Select(c => c.GetProperty("choices")[0].Str("text")).ToList();
        Assert.Equal("café ", string.Concat(texts));
        Assert.DoesNotContain(texts, t => t.Contains('\uFFFD', StringComparison.Ordinal));
        Assert.Contains("é", texts);
        Assert.Equal("stop", events[^1].GetProperty("choices")[0].Str("finish_reason"));
        // Byte-level tokens: one per UTF-8 byte, so the stop completes on token GetByteCount("café ☕").
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount("café ☕"), (await OpenAiHttp.PostJsonAsync(router.Http, "/v1/completions", """{"prompt":"Hi","max_tokens":40,"stop":"☕"}""")).Body.GetProperty("usage").Int("completion_tokens"));
    }
}
