using Cluster.Integration.Tests.Infrastructure;

namespace Cluster.Integration.Tests;

/// <summary>The real <c>@grpc/grpc-js</c> client against the router's <c>cluster.v1.Inference</c> of the running cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GrpcJsClientTests(ClusterFixture fixture)
{
    private const string Script = "tests/Integration.Tests/interop/grpc_inference.js";

    [Fact]
    public async Task Generate_FromGrpcJs_StreamsGoldenTokensWithUsage()
    {
        var prompt = Prompts.Make(9000, 29);

        var result = await RunAsync("generate", string.Join(',', prompt), "12");

        Assert.Equal(fixture.Golden.Greedy(prompt, 12), result.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray());
        Assert.Equal(29, result.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.StartsWith("FINISH_REASON_", result.GetProperty("finish").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteAndListModels_FromGrpcJs_Answer()
    {
        var prompt = Prompts.Make(9001, 17);

        var complete = await RunAsync("complete", string.Join(',', prompt), "6");
        var models = await RunAsync("models");

        Assert.Equal(fixture.Golden.Greedy(prompt, 6), complete.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray());
        Assert.Equal([TestModel.Id], models.GetProperty("models").EnumerateArray().Select(m => m.GetString()!).ToArray());
    }

    [Fact]
    public async Task Generate_EmptyPromptFromGrpcJs_IsInvalidArgumentWithAMessage()
    {
        var result = await RunAsync("error");

        Assert.Equal(3, result.GetProperty("code").GetInt32()); // INVALID_ARGUMENT
        Assert.Contains("prompt", result.GetProperty("details").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    private Task<System.Text.Json.JsonElement> RunAsync(string mode, params string[] rest) =>
        NodeScript.RunAsync(Script, "tests/interop", "@grpc/grpc-js",
            [fixture.Cluster.RouterGrpc.ToString(), ClusterFixture.ApiKey, TestModel.Id, mode, .. rest]);
}
