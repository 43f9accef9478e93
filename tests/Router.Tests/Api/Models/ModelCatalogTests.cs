using System.Net;
using Cluster.Router.Tests.Api.Infrastructure;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Tests.Api.Models;

public sealed class ModelCatalogTests
{
    private static readonly string[] FreePorts = ["--Hosting:BindAddress=127.0.0.1", "--Hosting:GrpcPort=0", "--Hosting:HttpPort=0"];

    [Theory]
    [InlineData("--Router:Models:0:Id=a|--Router:Models:0:Path=/no/such/dir", "Router:Models:0:Path '/no/such/dir' is not a directory")]
    [InlineData("--Router:Models:0:Id=|--Router:Models:0:Path={tiny}", "Router:Models:0:Id is empty")]
    [InlineData("--Router:Models:0:Id=a|--Router:Models:0:Path={tiny}|--Router:Models:1:Id=a|--Router:Models:1:Path={tiny}", "Router:Models:1:Id 'a' is listed twice")]
    [InlineData("--Router:Models:0:Id=a|--Router:Models:0:Path={empty}", "has no tokenizer.json")]
    [InlineData("--Router:MaxRequestBytes=10", "Router:MaxRequestBytes must be at least 1024")]
    public async Task Start_BadRouterSection_FailsNamingTheKey(string settings, string message)
    {
        // An empty folder of this test's own, not the shared temp folder (where anything may appear meanwhile).
        var empty = Directory.CreateTempSubdirectory("router-tests-empty-");
        try
        {
            var args = settings.Replace("{tiny}", TinyModel.Directory, StringComparison.Ordinal)
                .Replace("{empty}", empty.FullName, StringComparison.Ordinal).Split('|');
            var e = Assert.IsType<OptionsValidationException>(await BuildAndStartFailureAsync([.. FreePorts, .. args]));
            Assert.Contains(message, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Start_ConfigJsonWithoutContextLength_FailsNamingTheFile()
    {
        var dir = TinyModel.CreateWithoutChatTemplate();
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"model_type":"llama"}""");
        var e = Assert.IsType<InvalidOperationException>(await BuildAndStartFailureAsync([.. FreePorts, "--Router:Models:0:Id=broken", $"--Router:Models:0:Path={dir}"]));
        Assert.Contains("model 'broken'", e.Message, StringComparison.Ordinal);
        Assert.Contains("config.json needs an integer max_position_embeddings", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_TwoModelsServedAndNoModelGiven_400ListingThem()
    {
        await using var router = await RouterHarness.StartAsync(extraArgs: ["--Router:Models:1:Id=tiny-2", $"--Router:Models:1:Path={TinyModel.Directory}"]);
        var (code, json, _) = await OpenAiHttp.PostJsonAsync(router.Http, "/v1/completions", """{"prompt":"hi"}""");
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Contains("choose one of: tiny, tiny-2", json.GetProperty("error").Str("message"), StringComparison.Ordinal);

        var (ok, body, _) = await OpenAiHttp.PostJsonAsync(router.Http, "/v1/completions", """{"prompt":"hi","model":"tiny-2"}""");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("tiny-2", body.Str("model"));
        Assert.Equal("tiny-2", router.Coordinator.LastRequest.Model.Value);
    }

    // The router refuses to come up: building it (mapping resolves the catalog) or starting it throws.
    private static async Task<Exception> BuildAndStartFailureAsync(string[] args)
    {
        var e = await Record.ExceptionAsync(async () =>
        {
            await using var app = RouterApp.Build(args);
            await app.StartAsync();
            await app.StopAsync();
        });
        Assert.NotNull(e);
        return e;
    }
}
