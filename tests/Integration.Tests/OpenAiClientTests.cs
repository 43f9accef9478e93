using System.Text.Json;
using Cluster.Integration.Tests.Infrastructure;

namespace Cluster.Integration.Tests;

/// <summary>
/// The official <c>openai</c> npm client, unmodified, against the running cluster's router (the same script
/// tests/Router.Tests runs against an in-process router with a fake coordinator; here every token comes from workers).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class OpenAiClientTests(ClusterFixture fixture)
{
    [Fact]
    public async Task OpenAiNpmClient_CompletionsChatStreamingModelsAndErrors_AllAnswer()
    {
        var result = await NodeScript.RunAsync("tests/interop/openai/openai_client.js", "tests/interop/openai", "openai",
            new Uri(fixture.Cluster.RouterHttp, "/v1").ToString(), ClusterFixture.ApiKey);

        Assert.Equal(TestModel.Id, result.GetProperty("models")[0].GetProperty("id").GetString());
        AssertFinished(result.GetProperty("completion").GetProperty("usage"), result.GetProperty("completion").GetProperty("finish_reason").GetString(), maxTokens: 5);
        var completionStream = result.GetProperty("completionStream");
        AssertFinished(completionStream.GetProperty("usage"), completionStream.GetProperty("finish_reason")[0].GetString(), maxTokens: 7);
        Assert.Equal(2, completionStream.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal("assistant", result.GetProperty("chat").GetProperty("role").GetString());
        var chatStream = result.GetProperty("chatStream");
        AssertFinished(chatStream.GetProperty("usage"), chatStream.GetProperty("finish_reason")[0].GetString(), maxTokens: 9);
        Assert.Equal(chatStream.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), chatStream.GetProperty("logprobs").GetInt32());
        Assert.Equal(404, result.GetProperty("error").GetProperty("status").GetInt32());
        Assert.Contains("no-such-model", result.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Usage adds up, and "length" means exactly max_tokens (the random model may also stop early at its end-of-sequence token).</summary>
    private static void AssertFinished(JsonElement usage, string? finishReason, int maxTokens)
    {
        var completion = usage.GetProperty("completion_tokens").GetInt32();
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + completion, usage.GetProperty("total_tokens").GetInt32());
        Assert.True(finishReason == "length" ? completion == maxTokens : finishReason == "stop" && completion is > 0 and < 10,
            $"finish_reason {finishReason} with {completion} completion tokens (max {maxTokens})");
    }
}
