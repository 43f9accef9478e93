using System.Text.Json;
using Cluster.Router.Tests.Api.Infrastructure;

namespace Cluster.Router.Tests.Api.Interop;

/// <summary>The official <c>openai</c> npm client, unmodified, against the router (tests/interop/openai/openai_client.js).</summary>
public sealed class OpenAiNodeClientTests
{
    [Fact]
    public async Task OpenAiNpmClient_CompletionsAndChat_StreamingAndNot_Work()
    {
        NodeScript.EnsureInstalled(Path.Combine(NodeScript.OpenAiDirectory, "node_modules"), "openai", "npm ci --prefix tests/interop/openai");
        await using var router = await RouterHarness.StartAsync(requireKey: true);
        var output = await NodeScript.RunAsync("openai_client.js", new Uri(router.HttpAddress, "/v1").ToString(), RouterHarness.ApiKey);
        var o = JsonDocument.Parse(output).RootElement;
        var expected = router.Coordinator.Output;

        Assert.Equal("tiny", o.GetProperty("models")[0].Str("id"));
        Assert.Equal("model", o.GetProperty("models")[0].Str("object"));

        var completion = o.GetProperty("completion");
        Assert.Equal("text_completion", completion.Str("object"));
        Assert.Equal(expected[..5], completion.Str("text"));
        Assert.Equal("length", completion.Str("finish_reason"));
        Assert.Equal(7, completion.GetProperty("usage").Int("total_tokens"));

        var completionStream = o.GetProperty("completionStream");
        Assert.Equal(expected[..7], completionStream.Str("text"));
        Assert.Equal(["length"], completionStream.GetProperty("finish_reason").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(9, completionStream.GetProperty("usage").Int("total_tokens"));

        var chat = o.GetProperty("chat");
        Assert.Equal("chat.completion", chat.Str("object"));
        Assert.Equal("assistant", chat.Str("role"));
        Assert.Equal(expected[..6], chat.Str("content"));
        Assert.Equal("length", chat.Str("finish_reason"));

        var chatStream = o.GetProperty("chatStream");
        Assert.Equal("assistant", chatStream.Str("role"));
        Assert.Equal(expected[..9], chatStream.Str("content"));
        Assert.Equal(9, chatStream.Int("logprobs"));
        Assert.Equal(9, chatStream.GetProperty("usage").Int("completion_tokens"));
        Assert.Equal(4, chatStream.GetProperty("usage").GetProperty("prompt_tokens_details").Int("cached_tokens"));

        var error = o.GetProperty("error");
        Assert.Equal(404, error.Int("status"));
        Assert.Equal("NotFoundError", error.Str("name"));
        Assert.Equal("model", error.Str("param"));
        Assert.Contains("no-such-model", error.Str("message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAiNpmClient_StopStringInChat_CutsTheContent()
    {
        NodeScript.EnsureInstalled(Path.Combine(NodeScript.OpenAiDirectory, "node_modules"), "openai", "npm ci --prefix tests/interop/openai");
        await using var router = await RouterHarness.StartAsync(requireKey: true);
        router.Coordinator.Output = "Xworld and more";
        var output = await NodeScript.RunAsync("openai_client.js", new Uri(router.HttpAddress, "/v1").ToString(), RouterHarness.ApiKey);
        var chat = JsonDocument.Parse(output).RootElement.GetProperty("chat");
        // The script's chat call sends stop ["world"] with max_tokens 6: the stop string completes on the 6th token.
        Assert.Equal("X", chat.Str("content"));
        Assert.Equal("stop", chat.Str("finish_reason"));
        Assert.Equal(6, chat.GetProperty("usage").Int("completion_tokens"));
    }
}
