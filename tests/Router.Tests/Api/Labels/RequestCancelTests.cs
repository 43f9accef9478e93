using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cluster.Contracts.V1;
using Cluster.Router.Tests.Api.Infrastructure;
using Grpc.Core;

namespace Cluster.Router.Tests.Api.Labels;

/// <summary>
/// Cancel by client request id (gRPC <c>Inference.Cancel</c>, <c>POST /v1/requests/{id}/cancel</c>): the caller's own
/// running request ends as when its client goes away (the coordinator's token is cancelled) and its call learns why
/// (CANCELLED / an SSE error event / 499). Another API key, an unknown or a finished id: the same 404 / NOT_FOUND.
/// </summary>
public sealed class RequestCancelTests
{
    /// <summary>Only bounds a hang: what the test waits for must happen, however loaded the machine is.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private const string OtherKey = "other-key-456";

    [Theory]
    [InlineData(true)] // the router tier (a silo of one): local first, then the request grain
    [InlineData(false)] // RouterTier:Enabled=false: this router's LiveRequestLabels
    public async Task Grpc_CancelWhileStreaming_StreamEndsCancelledAndTheCoordinatorIsCancelled(bool tier)
    {
        await using var router = await RouterHarness.StartAsync(requireKey: true, extraArgs: tier ? [] : ["--RouterTier:Enabled=false"]);
        router.Coordinator.HangAfterTokens = 3;
        using var call = router.Grpc.Generate(Generate("job-c1"), router.KeyedOptions());
        Assert.True(await call.ResponseStream.MoveNext());
        await router.Coordinator.Hanging.Task.WaitAsync(Bound);

        var answer = await router.Grpc.CancelAsync(new CancelGenerationRequest { RequestId = "job-c1" }, router.KeyedOptions());

        Assert.Equal("job-c1", answer.RequestId);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.ReadAllAsync().ToListAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        Assert.Contains("cancelled through its request id 'job-c1'", e.Status.Detail, StringComparison.Ordinal);
        await router.Coordinator.Cancelled.Task.WaitAsync(Bound);
        // Ended: the id is free again, and a second cancel finds nothing.
        var again = await Assert.ThrowsAsync<RpcException>(() => router.Grpc.CancelAsync(new CancelGenerationRequest { RequestId = "job-c1" }, router.KeyedOptions()).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Grpc_CancelUnknownOrBadId_NotFoundOrInvalidArgument()
    {
        await using var router = await RouterHarness.StartAsync(requireKey: true);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => router.Grpc.CancelAsync(new CancelGenerationRequest { RequestId = "nobody" }, router.KeyedOptions()).ResponseAsync);
        var empty = await Assert.ThrowsAsync<RpcException>(() => router.Grpc.CancelAsync(new CancelGenerationRequest(), router.KeyedOptions()).ResponseAsync);
        var spaced = await Assert.ThrowsAsync<RpcException>(() => router.Grpc.CancelAsync(new CancelGenerationRequest { RequestId = "a b" }, router.KeyedOptions()).ResponseAsync);
        var unkeyed = await Assert.ThrowsAsync<RpcException>(() => router.Grpc.CancelAsync(new CancelGenerationRequest { RequestId = "nobody" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal((StatusCode.InvalidArgument, StatusCode.InvalidArgument), (empty.StatusCode, spaced.StatusCode));
        Assert.Contains("request_id", empty.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, unkeyed.StatusCode);
    }

    [Fact]
    public async Task Http_CancelWhileStreaming_200AndTheStreamEndsWithACancelledErrorEvent()
    {
        await using var router = await RouterHarness.StartAsync(requireKey: true);
        router.Coordinator.HangAfterTokens = 3;
        using var stream = await StartStreamAsync(router, "job-h1");

        using var response = await router.Http.PostAsync("/v1/requests/job-h1/cancel", null);
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("job-h1", "request.cancellation", true), (body.Str("id"), body.Str("object"), body.GetProperty("cancelled").GetBoolean()));
        var text = await stream.Content.ReadAsStringAsync().WaitAsync(Bound);
        Assert.Contains("\"code\":\"request_cancelled\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", text, StringComparison.Ordinal);
        await router.Coordinator.Cancelled.Task.WaitAsync(Bound);
    }

    [Fact]
    public async Task Http_CancelBeforeTheFirstToken_TheRequestGets499()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.HangAfterTokens = 0;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"prompt":"x","max_tokens":40}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-request-id", "job-h2");
        var send = router.Http.SendAsync(request);
        await router.Coordinator.Hanging.Task.WaitAsync(Bound);

        using var cancel = await router.Http.PostAsync("/v1/requests/job-h2/cancel", null);
        using var response = await send.WaitAsync(Bound);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode); // auth off on loopback: both calls are the anonymous principal
        Assert.Equal(499, (int)response.StatusCode);
        Assert.Equal("request_cancelled", (await JsonAsync(response)).GetProperty("error").Str("code"));
    }

    [Fact]
    public async Task Http_CancelWithAnotherApiKey_404LikeAnUnknownId_AndTheRequestFinishesUntouched()
    {
        await using var router = await RouterHarness.StartAsync(requireKey: true, extraArgs: [$"--Auth:ApiKeys:1={OtherKey}"]);
        router.Coordinator.HangAfterTokens = 3;
        using var stream = await StartStreamAsync(router, "job-h3");

        using var other = new HttpClient { BaseAddress = router.HttpAddress, Timeout = Bound };
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OtherKey);
        using var refused = await other.PostAsync("/v1/requests/job-h3/cancel", null);
        using var unknown = await other.PostAsync("/v1/requests/job-none/cancel", null);
        var (refusedBody, unknownBody) = (await JsonAsync(refused), await JsonAsync(unknown));

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (refused.StatusCode, unknown.StatusCode));
        Assert.Equal("request_not_found", refusedBody.GetProperty("error").Str("code"));
        // The same words either way, but for the id: nothing tells the other key that job-h3 exists.
        Assert.Equal(unknownBody.GetProperty("error").Str("message").Replace("job-none", "job-h3", StringComparison.Ordinal), refusedBody.GetProperty("error").Str("message"));

        router.Coordinator.ResumeHanging();
        var text = await stream.Content.ReadAsStringAsync().WaitAsync(Bound);
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        Assert.Contains("\"finish_reason\":\"length\"", text, StringComparison.Ordinal);
        Assert.False(router.Coordinator.Cancelled.Task.IsCompleted, "another key's cancel reached the request");
    }

    [Fact]
    public async Task Http_CancelValidation_400BadId_401WithoutKey_405OtherMethod()
    {
        await using var router = await RouterHarness.StartAsync(requireKey: true);
        using var spaced = await router.Http.PostAsync("/v1/requests/a%20b/cancel", null);
        using var tooLong = await router.Http.PostAsync($"/v1/requests/{new string('x', 257)}/cancel", null);
        using var anonymous = new HttpClient { BaseAddress = router.HttpAddress, Timeout = Bound };
        using var unkeyed = await anonymous.PostAsync("/v1/requests/job-1/cancel", null);
        using var get = await router.Http.GetAsync("/v1/requests/job-1/cancel");

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (spaced.StatusCode, tooLong.StatusCode));
        Assert.Equal("id", (await JsonAsync(spaced)).GetProperty("error").Str("param"));
        Assert.Equal(HttpStatusCode.Unauthorized, unkeyed.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    private static GenerateRequest Generate(string label) =>
        new() { Model = TinyModel.Id, Text = "x", RequestId = label, Stop = new StopConditions { MaxTokens = 40 } };

    /// <summary>Starts a streaming completion with <paramref name="label"/> and waits until the coordinator hangs mid-stream.</summary>
    private static async Task<HttpResponseMessage> StartStreamAsync(RouterHarness router, string label)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"prompt":"x","max_tokens":40,"stream":true}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-request-id", label);
        var response = await router.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await router.Coordinator.Hanging.Task.WaitAsync(Bound);
        return response;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
