using System.Net;
using System.Text;
using System.Text.Json;
using Cluster.Router.Tests.Api.Infrastructure;

namespace Cluster.Router.Tests.Api.OpenAi;

/// <summary>Invalid text, unsupported OpenAI parameters, conversion errors and unknown paths: 4xx naming the field, never 5xx.</summary>
public sealed class OpenAiInputEdgeTests
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";

    public static TheoryData<string, string, string> LoneSurrogates() => new()
    {
        { Completions, """{"prompt":"ab\ud800cd"}""", "prompt" },
        { Completions, """{"prompt":"hi","stop":["x","\udc00"]}""", "stop[1]" },
        { Chat, """{"messages":[{"role":"system","content":"ok"},{"role":"user","content":"ab\ud800cd"}]}""", "messages[1].content" },
        { Chat, """{"messages":[{"role":"user","content":[{"type":"text","text":"\ud83d"}]}]}""", "messages[0].content[0].text" },
        { Chat, """{"messages":[{"role":"\ud800","content":"hi"}]}""", "messages[0].role" },
        { Chat, """{"model":"\udfff","messages":[{"role":"user","content":"hi"}]}""", "model" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public async Task Post_LoneSurrogate_400NamingTheField(string path, string body, string param)
    {
        await using var router = await RouterHarness.StartAsync();
        var (code, json, _) = await OpenAiHttp.PostJsonAsync(router.Http, path, body);
        AssertInvalid(code, json, param, "not valid text");
        Assert.Empty(router.Coordinator.Requests);
    }

    [Theory]
    [InlineData(Completions, """{"prompt":"ab#cd"}""", "prompt")]
    [InlineData(Chat, """{"messages":[{"role":"user","content":"hi"},{"role":"user","content":"x#y"}]}""", "messages[1].content")]
    public async Task Post_InvalidUtf8Bytes_400NamingTheField(string path, string body, string param)
    {
        await using var router = await RouterHarness.StartAsync();
        var bytes = Encoding.UTF8.GetBytes(body).Select(b => b == (byte)'#' ? (byte)0xC3 : b).ToArray(); // 0xC3 then a non-continuation byte
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await router.Http.PostAsync(path, content);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, json.GetProperty("error").GetProperty("param").GetString());
        Assert.Empty(router.Coordinator.Requests);
    }

    // (endpoint, parameter, its JSON value)
    public static TheoryData<string, string, string> Unsupported() => new()
    {
        { Chat, "tools", "[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]" },
        { Chat, "tool_choice", "\"auto\"" },
        { Chat, "functions", "[{\"name\":\"f\"}]" },
        { Chat, "function_call", "\"auto\"" },
        { Chat, "response_format", "{\"type\":\"json_object\"}" },
        { Chat, "response_format", "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{}}}" },
        { Completions, "response_format", "{\"type\":\"json_object\"}" },
        { Chat, "logit_bias", "{\"50256\":-100}" },
        { Completions, "logit_bias", "{\"1\":5}" },
        { Completions, "logprobs", "2" },
        { Chat, "top_logprobs", "2" },
        { Completions, "best_of", "3" },
        { Completions, "suffix", "\"end\"" },
        { Chat, "modalities", "[\"text\",\"audio\"]" },
        { Chat, "audio", "{\"voice\":\"alloy\"}" },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public async Task Post_UnsupportedParameter_400NamingIt(string path, string param, string value)
    {
        await using var router = await RouterHarness.StartAsync();
        var prompt = path == Chat ? "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logprobs\":true" : "\"prompt\":\"hi\"";
        var (code, json, _) = await OpenAiHttp.PostJsonAsync(router.Http, path, $"{{{prompt},\"{param}\":{value}}}");
        AssertInvalid(code, json, param, "not supported");
        Assert.Empty(router.Coordinator.Requests);
    }

    [Theory]
    [InlineData("""{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}""", "messages[1].tool_calls")]
    [InlineData("""{"role":"tool","tool_call_id":"c","content":"42"}""", "messages[1].role")]
    [InlineData("""{"role":"function","name":"f","content":"42"}""", "messages[1].role")]
    public async Task Post_ToolMessages_400NamingTheMessage(string message, string param)
    {
        await using var router = await RouterHarness.StartAsync();
        var (code, json, _) = await OpenAiHttp.PostJsonAsync(router.Http, Chat, $$"""{"messages":[{"role":"user","content":"hi"},{{message}}]}""");
        AssertInvalid(code, json, param, "not supported");
    }

    [Theory]
    [InlineData("""{"response_format":{"type":"text"},"logit_bias":{},"tool_choice":"none","tools":[],"parallel_tool_calls":true,"logprobs":false,"top_logprobs":0}""")]
    [InlineData("""{"modalities":["text"],"store":false,"metadata":{"a":"b"},"user":"u","service_tier":"auto","some_extension":{"x":1}}""")]
    public async Task Post_DefaultValuesOfUnsupportedParametersAndUnknownFields_200(string extras)
    {
        await using var router = await RouterHarness.StartAsync();
        var body = extras.Insert(1, "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],");
        var (code, _, _) = await OpenAiHttp.PostJsonAsync(router.Http, Chat, body);
        Assert.Equal(HttpStatusCode.OK, code);
    }

    [Theory]
    [InlineData("""{"prompt":"hi","n":"two"}""", "n", "'n' must be an integer (32-bit)")]
    [InlineData("""{"prompt":"hi","max_tokens":1e20}""", "max_tokens", "'max_tokens' must be an integer (32-bit)")]
    [InlineData("""{"prompt":"hi","stream":"yes"}""", "stream", "'stream' must be true or false")]
    [InlineData("""{"prompt":"hi","stop_token_ids":[1,"x"]}""", "stop_token_ids[1]", "'stop_token_ids[1]' must be an integer (32-bit)")]
    [InlineData("""{"messages":[{"role":5}]}""", "messages[0].role", "'messages[0].role' must be a string")]
    public async Task Post_WrongJsonType_MessageNamesFieldAndJsonTypeNotDotNetType(string body, string param, string message)
    {
        await using var router = await RouterHarness.StartAsync();
        var (code, json, _) = await OpenAiHttp.PostJsonAsync(router.Http, body.Contains("messages", StringComparison.Ordinal) ? Chat : Completions, body);
        AssertInvalid(code, json, param, message);
        Assert.DoesNotContain("System.", json.GetProperty("error").GetProperty("message").GetString()!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v1/completions", 405)]
    [InlineData("DELETE", "/v1/chat/completions", 405)]
    [InlineData("POST", "/v1/models", 405)]
    [InlineData("POST", "/v1/embeddings", 404)]
    [InlineData("GET", "/v1/nothing/here", 404)]
    public async Task UnknownPathOrWrongMethod_OpenAiErrorBody(string method, string path, int status)
    {
        await using var router = await RouterHarness.StartAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using var response = await router.Http.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(status == 404 ? "unknown_url" : "method_not_allowed", error.GetProperty("code").GetString());
        Assert.Contains(path, error.GetProperty("message").GetString()!, StringComparison.Ordinal);
    }

    private static void AssertInvalid(HttpStatusCode code, JsonElement json, string param, string message)
    {
        Assert.Equal(HttpStatusCode.BadRequest, code);
        var error = json.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString()!, StringComparison.Ordinal);
    }
}
