using System.Text.Json;
using Cluster.Router.Tests.Api.Infrastructure;

namespace Cluster.Router.Tests.Api.Interop;

/// <summary>A real @grpc/grpc-js client (tests/interop's packages) calling the router's cluster.v1.Inference/Generate.</summary>
public sealed class GrpcJsInferenceTests
{
    [Fact]
    public async Task GrpcJsClient_Generate_StreamsTextAndUsage()
    {
        var interopModules = Path.Combine(NodeScript.RepositoryRoot, "tests", "interop", "node_modules");
        NodeScript.EnsureInstalled(interopModules, Path.Combine("@grpc", "grpc-js"), "npm ci --prefix tests/interop");
        await using var router = await RouterHarness.StartAsync(requireKey: true);
        var output = await NodeScript.RunAsync("grpc_inference.js", router.GrpcAddress.Authority, Path.Combine(NodeScript.RepositoryRoot, "proto"), RouterHarness.ApiKey);
        var o = JsonDocument.Parse(output).RootElement;

        Assert.Equal(router.Coordinator.Output[..6], o.Str("text"));
        Assert.Equal(["grpc-js-1"], o.GetProperty("request_ids").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("FINISH_REASON_LENGTH", o.Str("finish_reason"));
        Assert.Equal(8, o.GetProperty("usage").Int("total_tokens"));
    }
}
