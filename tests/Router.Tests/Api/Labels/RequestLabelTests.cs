using System.Net;
using System.Text;
using Cluster.Contracts.V1;
using Cluster.Router.Api.Text;
using Cluster.Router.Tests.Api.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Grpc.Core;

namespace Cluster.Router.Tests.Api.Labels;

/// <summary>
/// A client's request id is a label: the coordinator (and so every worker) gets the router's own id, and a second live
/// request with the same label is refused (409 / ALREADY_EXISTS) without touching the first.
/// </summary>
public sealed class RequestLabelTests
{
    /// <summary>Only bounds a hang: what the test waits for must happen, however loaded the machine is.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private const string StreamBody = """{"prompt":"x","max_tokens":40,"stream":true}""";

    [Fact]
    public async Task Http_ClientRequestId_IsEchoedButTheCoordinatorGetsAnInternalId()
    {
        await using var router = await RouterHarness.StartAsync();
        using var request = Post(StreamBody.Replace("\"stream\":true", "\"stream\":false", StringComparison.Ordinal), "job-1");
        using var response = await router.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("job-1", response.Headers.GetValues("x-request-id").Single());
        Assert.Contains("\"cmpl-job-1\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var sent = router.Coordinator.LastRequest;
        Assert.Equal("job-1", sent.Label);
        Assert.NotEqual("job-1", sent.Id.Value);
        Assert.Matches("^[0-9a-f]{32}$", sent.Id.Value);
    }

    [Fact]
    public async Task Http_SameLabelWhileTheFirstStreams_Gets409AndTheFirstCompletes()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.HangAfterTokens = 3;
        using var firstRequest = Post(StreamBody, "job-1");
        using var first = await router.Http.SendAsync(firstRequest, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await router.Coordinator.Hanging.Task.WaitAsync(Bound);

        var (status, body, _) = await PostAsync(router, """{"prompt":"y","max_tokens":5}""", "job-1");
        Assert.Equal(HttpStatusCode.Conflict, status);
        var error = body.GetProperty("error");
        Assert.Equal(("invalid_request_error", "request_id_in_use", "request_id"), (error.Str("type"), error.Str("code"), error.Str("param")));
        Assert.Single(router.Coordinator.Requests); // the duplicate never reached the coordinator

        router.Coordinator.ResumeHanging();
        var text = await first.Content.ReadAsStringAsync().WaitAsync(Bound);
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        Assert.Contains("\"finish_reason\":\"length\"", text, StringComparison.Ordinal);
        Assert.False(router.Coordinator.Cancelled.Task.IsCompleted, "the first request was cancelled");
        Assert.False(router.Coordinator.EndedEarly.Task.IsCompleted, "the first request ended early");
    }

    [Fact]
    public async Task Http_LabelInBodyConflictsWithTheSameLabelInTheHeader()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.HangAfterTokens = 0;
        // Hanging before the first token: the response has not started yet, so the send is awaited only at the end.
        using var firstRequest = Post("""{"prompt":"x","max_tokens":40,"stream":true,"request_id":"job-2"}""", null);
        var firstSend = router.Http.SendAsync(firstRequest);
        await router.Coordinator.Hanging.Task.WaitAsync(Bound);

        var (status, _, _) = await PostAsync(router, """{"prompt":"y","max_tokens":5}""", "job-2");

        Assert.Equal(HttpStatusCode.Conflict, status);
        router.Coordinator.ResumeHanging();
        using var first = await firstSend.WaitAsync(Bound);
        Assert.Equal("job-2", first.Headers.GetValues("x-request-id").Single());
        Assert.EndsWith("data: [DONE]\n\n", await first.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_LabelIsFreeAgainOnceItsRequestEnds()
    {
        await using var router = await RouterHarness.StartAsync();
        var (first, _, _) = await PostAsync(router, """{"prompt":"x","max_tokens":5}""", "job-3");
        var (second, _, _) = await PostAsync(router, """{"prompt":"x","max_tokens":5}""", "job-3");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first, second));
        Assert.Equal(2, router.Coordinator.Requests.Count);
        Assert.NotEqual(router.Coordinator.Requests[0].Id, router.Coordinator.Requests[1].Id);
    }

    [Fact]
    public async Task Http_WithoutAClientId_TheClaimedLabelIsMarkedMadeUpByTheRouter_AndAClientsIdIsNot()
    {
        var labels = new RecordingLabels();
        await using var router = await RouterHarness.StartAsync(services: s => s.AddSingleton<IRequestLabels>(labels));

        var (unnamed, _, response) = await PostAsync(router, """{"prompt":"x","max_tokens":5}""", null);
        var (named, _, _) = await PostAsync(router, """{"prompt":"x","max_tokens":5}""", "job-4");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (unnamed, named));
        var claims = labels.Claims.ToArray();
        Assert.Equal(2, claims.Length);
        Assert.True(claims[0].ChosenByRouter, "the router's own label was not marked: the tier would wait for its claim");
        Assert.Equal(response.Headers.GetValues("x-request-id").Single(), claims[0].Label);
        Assert.Matches("^[0-9a-f]{32}$", claims[0].Label);
        Assert.False(claims[1].ChosenByRouter, "a client's id was marked made up: the tier would not check it is unique");
        Assert.Equal("job-4", claims[1].Label);
    }

    [Fact]
    public async Task Grpc_SameLabelWhileTheFirstStreams_AlreadyExistsAndTheFirstCompletes()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.HangAfterTokens = 3;
        using var first = router.Grpc.Generate(Generate("job-1"), router.KeyedOptions());
        Assert.True(await first.ResponseStream.MoveNext());
        var firstChunk = first.ResponseStream.Current;
        await router.Coordinator.Hanging.Task.WaitAsync(Bound);

        using var second = router.Grpc.Generate(Generate("job-1"), router.KeyedOptions());
        var e = await Assert.ThrowsAsync<RpcException>(async () => await second.ResponseStream.ReadAllAsync().ToListAsync());
        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        var complete = await Assert.ThrowsAsync<RpcException>(() => router.Grpc.CompleteAsync(Generate("job-1"), router.KeyedOptions()).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, complete.StatusCode);
        Assert.Single(router.Coordinator.Requests);

        router.Coordinator.ResumeHanging();
        var rest = await first.ResponseStream.ReadAllAsync().ToListAsync().AsTask().WaitAsync(Bound);
        var chunks = rest.Prepend(firstChunk).ToList();
        Assert.Equal(router.Coordinator.Output, string.Concat(chunks.Select(c => c.Text)));
        Assert.All(chunks, c => Assert.Equal("job-1", c.RequestId));
        Assert.False(router.Coordinator.Cancelled.Task.IsCompleted, "the first request was cancelled");
    }

    [Fact]
    public async Task Grpc_TwoLiveRequestsWithDifferentLabels_BothCompleteWithTheirOwnLabels()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.HangAfterTokens = 3;
        using var a = router.Grpc.Generate(Generate("job-a"), router.KeyedOptions());
        using var b = router.Grpc.Generate(Generate("job-b"), router.KeyedOptions());
        Assert.True(await a.ResponseStream.MoveNext());
        Assert.True(await b.ResponseStream.MoveNext());
        var (firstOfA, firstOfB) = (a.ResponseStream.Current, b.ResponseStream.Current);

        router.Coordinator.ResumeHanging();
        var fromA = (await a.ResponseStream.ReadAllAsync().ToListAsync().AsTask().WaitAsync(Bound)).Prepend(firstOfA).ToList();
        var fromB = (await b.ResponseStream.ReadAllAsync().ToListAsync().AsTask().WaitAsync(Bound)).Prepend(firstOfB).ToList();

        Assert.Equal(router.Coordinator.Output, string.Concat(fromA.Select(c => c.Text)));
        Assert.Equal(router.Coordinator.Output, string.Concat(fromB.Select(c => c.Text)));
        Assert.All(fromA, c => Assert.Equal("job-a", c.RequestId));
        Assert.All(fromB, c => Assert.Equal("job-b", c.RequestId));
        var ids = router.Coordinator.Requests.Select(r => r.Id.Value).ToList();
        Assert.Equal(2, ids.Distinct().Count());
        Assert.DoesNotContain("job-a", ids);
        Assert.DoesNotContain("job-b", ids);
    }

    private static GenerateRequest Generate(string label) =>
        new() { Model = TinyModel.Id, Text = "x", RequestId = label, Stop = new StopConditions { MaxTokens = 40 } };

    /// <summary>This router's labels, recording each claim.</summary>
    private sealed class RecordingLabels : IRequestLabels
    {
        private readonly LiveRequestLabels _inner = new();

        public System.Collections.Concurrent.ConcurrentQueue<LabelClaim> Claims { get; } = new();

        public ValueTask<ILabelHandle> ClaimAsync(LabelClaim claim, CancellationToken cancellationToken)
        {
            Claims.Enqueue(claim);
            return _inner.ClaimAsync(claim, cancellationToken);
        }

        public ValueTask<bool> CancelAsync(string label, string principal, CancellationToken cancellationToken) => _inner.CancelAsync(label, principal, cancellationToken);
    }

    private static HttpRequestMessage Post(string json, string? label)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (label is not null)
        {
            request.Headers.Add("x-request-id", label);
        }

        return request;
    }

    private static async Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body, HttpResponseMessage Response)> PostAsync(RouterHarness router, string json, string? label)
    {
        using var request = Post(json, label);
        var response = await router.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, System.Text.Json.JsonDocument.Parse(text).RootElement.Clone(), response);
    }
}
