using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cluster.Contracts.V1;
using Cluster.Integration.Tests.Infrastructure;
using Grpc.Core;

namespace Cluster.Integration.Tests;

/// <summary>Bad requests through the whole cluster get the right status and a message that says what to fix, on both APIs.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BadInputTests(ClusterFixture fixture) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Cluster.RouterHttp, Timeout = TimeSpan.FromSeconds(60) };

    public static TheoryData<string, HttpStatusCode, string> HttpCases => new()
    {
        { """{"model":"tiny","prompt":"","max_tokens":4}""", HttpStatusCode.BadRequest, "prompt" },
        { """{"model":"tiny","messages":[],"max_tokens":4}""", HttpStatusCode.BadRequest, "messages" },
        { $$"""{"model":"tiny","prompt":[{{string.Join(',', Enumerable.Repeat(65, 2100))}}],"max_tokens":4}""", HttpStatusCode.BadRequest, "prompt" },
        { """{"model":"tiny","prompt":"hi","temperature":7}""", HttpStatusCode.BadRequest, "temperature" },
        { """{"model":"tiny","prompt":"hi","top_p":1.5}""", HttpStatusCode.BadRequest, "top_p" },
        { """{"model":"tiny","prompt":"hi","max_tokens":-3}""", HttpStatusCode.BadRequest, "max_tokens" },
        { """{"model":"nope","prompt":"hi"}""", HttpStatusCode.NotFound, "nope" },
        { """{"model":"tiny","prompt":"hi",""", HttpStatusCode.BadRequest, "JSON" },
    };

    [Theory]
    [MemberData(nameof(HttpCases))]
    public async Task Completions_BadInput_AnswersOpenAiErrorNamingTheProblem(string body, HttpStatusCode expected, string mentioned)
    {
        var path = body.Contains("\"messages\"", StringComparison.Ordinal) ? "/v1/chat/completions" : "/v1/completions";
        using var response = await PostAsync(path, body, ClusterFixture.ApiKey);

        Assert.Equal(expected, response.StatusCode);
        var message = await ErrorMessageAsync(response);
        Assert.Contains(mentioned, message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Completions_MissingOrWrongApiKey_Answers401()
    {
        const string Body = """{"model":"tiny","prompt":"hi","max_tokens":2}""";
        using var missing = await PostAsync("/v1/completions", Body, apiKey: null);
        using var wrong = await PostAsync("/v1/completions", Body, apiKey: "not-the-key");

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.NotEmpty(await ErrorMessageAsync(missing));
    }

    [Fact]
    public async Task Completions_OversizedBody_Answers413()
    {
        var body = $$"""{"model":"tiny","prompt":"{{new string('a', 8 << 20)}}","max_tokens":2}""";
        using var response = await PostAsync("/v1/completions", body, ClusterFixture.ApiKey, expectContinue: true);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Router:MaxRequestBytes", await ErrorMessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_BadInputs_AnswerGrpcStatusNamingTheField()
    {
        using var cts = Deadline.ForTest();
        var calls = fixture.Calls;
        var empty = calls.Greedy([], 4);
        var tooLong = calls.Greedy(Prompts.Make(8000, 2100), 4);
        var badSampling = calls.Greedy(Prompts.Make(8001, 5), 4);
        badSampling.Sampling.TopP = 3;
        var unknownModel = calls.Greedy(Prompts.Make(8002, 5), 4);
        unknownModel.Model = "nope";

        await AssertStatusAsync(empty, StatusCode.InvalidArgument, "prompt", cts.Token);
        await AssertStatusAsync(tooLong, StatusCode.InvalidArgument, "prompt", cts.Token);
        await AssertStatusAsync(badSampling, StatusCode.InvalidArgument, "top_p", cts.Token);
        await AssertStatusAsync(unknownModel, StatusCode.NotFound, "nope", cts.Token);
    }

    [Fact]
    public async Task Generate_WithoutApiKey_IsUnauthenticated()
    {
        using var cts = Deadline.ForTest();
        using var call = fixture.Calls.Inference.Generate(fixture.Calls.Greedy(Prompts.Make(8003, 5), 2), new CallOptions(cancellationToken: cts.Token));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(cts.Token));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    public void Dispose() => _http.Dispose();

    private async Task AssertStatusAsync(GenerateRequest request, StatusCode expected, string mentioned, CancellationToken cancellationToken)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Calls.GenerateAsync(request, cancellationToken));
        Assert.Equal(expected, error.StatusCode);
        Assert.Contains(mentioned, error.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>With <paramref name="expectContinue"/> the body waits for the server's go-ahead, so a refusal (413) arrives instead of a broken pipe.</summary>
    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? apiKey, bool expectContinue = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = expectContinue;
        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return await _http.SendAsync(request);
    }

    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        return $"{error.GetProperty("message").GetString()} (param: {(error.TryGetProperty("param", out var p) ? p.ToString() : "")})";
    }
}
