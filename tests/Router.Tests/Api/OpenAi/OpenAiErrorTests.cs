using System.Net;
using System.Text;
using Grpc.Core;
using Cluster.Router.Tests.Api.Infrastructure;

namespace Cluster.Router.Tests.Api.OpenAi;

public sealed class OpenAiErrorTests
{
    public static TheoryData<string, string, int, string?, string> BadBodies() => new()
    {
        { "/v1/completions", "{not json", 400, null, "not valid JSON" },
        { "/v1/completions", """{"prompt":"hi","temperature":"hot"}""", 400, "temperature", "not valid JSON for this endpoint at 'temperature'" },
        { "/v1/completions", "[]", 400, null, "not valid JSON" },
        { "/v1/completions", """{"model":"tiny"}""", 400, "prompt", "prompt is required" },
        { "/v1/completions", """{"prompt":""}""", 400, "prompt", "prompt is empty" },
        { "/v1/completions", """{"prompt":[]}""", 400, "prompt", "prompt is an empty token list" },
        { "/v1/completions", """{"prompt":["a","b"]}""", 400, "prompt", "batches of prompts are not supported" },
        { "/v1/completions", """{"prompt":[1,-2]}""", 400, "prompt", "token ids are integers ≥ 0" },
        { "/v1/completions", """{"prompt":"hi","model":"gpt-9"}""", 404, "model", "The model 'gpt-9' does not exist" },
        { "/v1/completions", """{"prompt":"hi","n":2}""", 400, "n", "n = 2 is not supported" },
        { "/v1/completions", """{"prompt":"hi","max_tokens":0}""", 400, "max_tokens", "max_tokens must be ≥ 1" },
        { "/v1/completions", """{"prompt":"hi","max_tokens":500}""", 400, "max_tokens", "max_tokens = 500 does not fit" },
        { "/v1/completions", """{"prompt":"hi","temperature":3}""", 400, "temperature", "temperature must be in [0, 2]" },
        { "/v1/completions", """{"prompt":"hi","top_p":-1}""", 400, "top_p", "top_p must be in (0, 1]" },
        { "/v1/completions", """{"prompt":"hi","presence_penalty":2.5}""", 400, "presence_penalty", "presence_penalty must be in [-2, 2]" },
        { "/v1/completions", """{"prompt":"hi","frequency_penalty":-2.5}""", 400, "frequency_penalty", "frequency_penalty must be in [-2, 2]" },
        { "/v1/completions", """{"prompt":"hi","seed":-1}""", 400, "seed", "seed must be ≥ 0" },
        { "/v1/completions", """{"prompt":"hi","stop":5}""", 400, "stop", "stop must be a string or an array of strings" },
        { "/v1/completions", """{"prompt":"hi","logprobs":-1}""", 400, "logprobs", "logprobs must be an integer ≥ 0" },
        { "/v1/completions", """{"prompt":"hi","top_k":-5}""", 400, "top_k", "top_k must be ≥ 0" },
        { "/v1/completions", """{"prompt":"hi","stream_options":{"include_usage":true}}""", 400, "stream_options", "only allowed with stream: true" },
        { "/v1/completions", """{"prompt":"hi","echo":true}""", 400, "echo", "not supported" },
        { "/v1/completions", """{"messages":[{"role":"user","content":"hi"}]}""", 400, "messages", "use /v1/chat/completions" },
        { "/v1/chat/completions", """{"messages":[]}""", 400, "messages", "messages is empty" },
        { "/v1/chat/completions", """{"model":"tiny"}""", 400, "messages", "messages is required" },
        { "/v1/chat/completions", """{"messages":[{"role":"robot","content":"hi"}]}""", 400, "messages[0].role", "'robot' is not one of" },
        { "/v1/chat/completions", """{"messages":[{"content":"hi"}]}""", 400, "messages[0].role", "messages[0].role is required" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}""", 400, "messages[0].content", "only text parts" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"logprobs":1}""", 400, "logprobs", "true or false" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":3}""", 400, "top_logprobs", "not supported" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"prompt":"x"}""", 400, "prompt", "take 'messages', not 'prompt'" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Post_BadBody_OpenAiErrorNamingTheParam(string path, string body, int status, string? param, string message)
    {
        await using var router = await RouterHarness.StartAsync();
        var (code, json, _) = await OpenAiHttp.PostJsonAsync(router.Http, path, body);

        Assert.Equal(status, (int)code);
        var error = json.GetProperty("error");
        Assert.Contains(message, error.Str("message"), StringComparison.Ordinal);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(status == 404 ? "model_not_found" : null, error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.Str("type"));
        Assert.Empty(router.Coordinator.Requests);
    }

    [Fact]
    public async Task Post_BodyOverMaxRequestBytes_413()
    {
        await using var router = await RouterHarness.StartAsync(maxRequestBytes: 2048);
        var (code, json, _) = await OpenAiHttp.PostJsonAsync(router.Http, "/v1/completions", $$"""{"prompt":"{{new string('a', 3000)}}"}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, code);
        Assert.Contains("Router:MaxRequestBytes", json.GetProperty("error").Str("message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverMaxRequestBytes_413()
    {
        await using var router = await RouterHarness.StartAsync(maxRequestBytes: 2048);
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"prompt":"{{new string('a', 3000)}}"}""")));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await router.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Post_ApiKeysConfigured_MissingOrWrongKeyIs401AndRightKeyWorks()
    {
        await using var router = await RouterHarness.StartAsync(requireKey: true);
        using var anonymous = new HttpClient { BaseAddress = router.HttpAddress };
        var (code, json, _) = await OpenAiHttp.PostJsonAsync(anonymous, "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.Unauthorized, code);
        Assert.Equal("invalid_api_key", json.GetProperty("error").Str("code"));

        anonymous.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/models")).StatusCode);
        Assert.Empty(router.Coordinator.Requests);

        Assert.Equal(HttpStatusCode.OK, (await router.Http.GetAsync("/v1/models")).StatusCode);
    }

    [Theory]
    [InlineData("1500", "2")]
    [InlineData("200", "1")]
    public async Task Post_CoordinatorOverloaded_429WithRetryAfterSeconds(string pushbackMs, string retryAfter)
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.FailWith = new RpcException(new Status(StatusCode.ResourceExhausted, "queue full"), new Metadata { { "grpc-retry-pushback-ms", pushbackMs } });
        var (code, json, response) = await OpenAiHttp.PostJsonAsync(router.Http, "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"stream":true}""");
        Assert.Equal(HttpStatusCode.TooManyRequests, code);
        Assert.Equal(retryAfter, response.Headers.GetValues("Retry-After").Single());
        Assert.Equal("rate_limit_error", json.GetProperty("error").Str("type"));
        Assert.Equal("queue full", json.GetProperty("error").Str("message"));
    }

    [Fact]
    public async Task Post_ClusterUnavailable_503()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.FailWith = new RpcException(new Status(StatusCode.Unavailable, "no decode worker is live"));
        var (code, json, _) = await OpenAiHttp.PostJsonAsync(router.Http, "/v1/completions", """{"prompt":"hi"}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, code);
        Assert.Equal("no decode worker is live", json.GetProperty("error").Str("message"));
    }

    [Fact]
    public async Task Post_StreamFailsAfterFirstChunk_SseErrorEventAndNoDone()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.FailMidStreamWith = new RpcException(new Status(StatusCode.Unavailable, "decode worker lost"));
        var (events, done, response) = await OpenAiHttp.PostSseAsync(router.Http, "/v1/completions", """{"prompt":"hi","stream":true}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(done);
        Assert.Equal("Hel", events[0].GetProperty("choices")[0].Str("text"));
        Assert.Equal("decode worker lost", events[^1].GetProperty("error").Str("message"));
        Assert.Equal("service_unavailable_error", events[^1].GetProperty("error").Str("type"));
    }
}
