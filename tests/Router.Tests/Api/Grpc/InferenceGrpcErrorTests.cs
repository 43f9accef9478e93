using Cluster.Contracts.V1;
using Cluster.Router.Tests.Api.Infrastructure;
using Grpc.Core;

namespace Cluster.Router.Tests.Api.Grpc;

public sealed class InferenceGrpcErrorTests
{
    public static TheoryData<string, StatusCode, string> BadRequests() => new()
    {
        { "{}", StatusCode.InvalidArgument, "prompt is required" },
        { "text:", StatusCode.InvalidArgument, "prompt is empty" },
        { "ids:", StatusCode.InvalidArgument, "prompt is an empty token list" },
        { "ids:999", StatusCode.InvalidArgument, "prompt[0] = 999 is not a token id" },
        { "model:nope", StatusCode.NotFound, "The model 'nope' does not exist; served models: tiny" },
        { "long", StatusCode.InvalidArgument, "prompt is 128 tokens but model 'tiny' has a context of 128 tokens" },
        { "max:200", StatusCode.InvalidArgument, "stop.max_tokens = 200 does not fit: the prompt is 5 tokens and model 'tiny' has a context of 128; ask for at most 123" },
        { "temperature:2.5", StatusCode.InvalidArgument, "sampling.temperature must be in [0, 2]" },
        { "top_p:1.5", StatusCode.InvalidArgument, "sampling.top_p must be in (0, 1]" },
        { "min_p:-0.1", StatusCode.InvalidArgument, "sampling.min_p must be in [0, 1]" },
        { "presence:3", StatusCode.InvalidArgument, "sampling.presence_penalty must be in [-2, 2]" },
        { "frequency:-3", StatusCode.InvalidArgument, "sampling.frequency_penalty must be in [-2, 2]" },
        { "repetition:-1", StatusCode.InvalidArgument, "sampling.repetition_penalty must be a finite number > 0" },
        { "stop:", StatusCode.InvalidArgument, "stop.stop[0] is empty" },
        { "stop_id:5000", StatusCode.InvalidArgument, "stop.stop_token_ids[0] = 5000" },
        { "role:wizard", StatusCode.InvalidArgument, "chat.messages[0].role 'wizard' is not one of" },
        { "chat:", StatusCode.InvalidArgument, "chat.messages is empty" },
        { "id:has space", StatusCode.InvalidArgument, "request_id must be 1–256 printable ASCII" },
        { "top_k:4000000000", StatusCode.InvalidArgument, "sampling.top_k must be in [0, 2147483647]" },
        { "temperature:NaN", StatusCode.InvalidArgument, "sampling.temperature must be in [0, 2]" },
        { "temperature:-Infinity", StatusCode.InvalidArgument, "sampling.temperature must be in [0, 2]" },
        { "top_p:NaN", StatusCode.InvalidArgument, "sampling.top_p must be in (0, 1]" },
        { "repetition:Infinity", StatusCode.InvalidArgument, "sampling.repetition_penalty must be a finite number > 0" },
        { "repetition:NaN", StatusCode.InvalidArgument, "sampling.repetition_penalty must be a finite number > 0" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Generate_BadRequest_FailsWithCodeAndMessageNamingTheField(string bad, StatusCode code, string message)
    {
        await using var router = await RouterHarness.StartAsync();
        using var call = router.Grpc.Generate(Build(bad), router.KeyedOptions());
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.ReadAllAsync().ToListAsync());
        Assert.Equal(code, e.StatusCode);
        Assert.Contains(message, e.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(router.Coordinator.Requests);
    }

    [Fact]
    public async Task Complete_ModelWithoutChatTemplate_ChatPromptIsInvalid()
    {
        await using var router = await RouterHarness.StartAsync(modelDirectory: TinyModel.CreateWithoutChatTemplate());
        var e = await Assert.ThrowsAsync<RpcException>(() => router.Grpc.CompleteAsync(Build("role:user"), router.KeyedOptions()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("has no chat template", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_CoordinatorOverloaded_ResourceExhaustedWithPushbackTrailerPassedThrough()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.FailWith = new RpcException(new Status(StatusCode.ResourceExhausted, "queue full"), new Metadata { { "grpc-retry-pushback-ms", "1500" } });
        using var call = router.Grpc.Generate(Build("text:hi"), router.KeyedOptions());
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.ReadAllAsync().ToListAsync());
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal("queue full", e.Status.Detail);
        Assert.Equal("1500", e.Trailers.GetValue("grpc-retry-pushback-ms"));
    }

    [Theory]
    [InlineData(StatusCode.Unavailable, StatusCode.Unavailable)]
    [InlineData(StatusCode.NotFound, StatusCode.Unavailable)]
    [InlineData(StatusCode.InvalidArgument, StatusCode.InvalidArgument)]
    public async Task Complete_CoordinatorFails_MapsItsStatus(StatusCode thrown, StatusCode expected)
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.FailWith = new RpcException(new Status(thrown, "coordinator says no"));
        var e = await Assert.ThrowsAsync<RpcException>(() => router.Grpc.CompleteAsync(Build("text:hi"), router.KeyedOptions()).ResponseAsync);
        Assert.Equal(expected, e.StatusCode);
        Assert.Equal("coordinator says no", e.Status.Detail);
    }

    [Fact]
    public async Task Generate_ApiKeysConfigured_MissingKeyIsUnauthenticatedAndRightKeyWorks()
    {
        await using var router = await RouterHarness.StartAsync(requireKey: true);
        using var anonymous = router.Grpc.Generate(Build("text:hi"));
        var e = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.ResponseStream.ReadAllAsync().ToListAsync());
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Empty(router.Coordinator.Requests);

        var wrong = new CallOptions(new Metadata { { "authorization", "Bearer wrong" } });
        var e2 = await Assert.ThrowsAsync<RpcException>(() => router.Grpc.ListModelsAsync(new ListModelsRequest(), wrong).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e2.StatusCode);

        var ok = await router.Grpc.CompleteAsync(Build("text:hi"), router.KeyedOptions()).ResponseAsync;
        Assert.Equal(router.Coordinator.Output[..16], ok.Text);
    }

    // A compact notation for the bad requests: "kind:value".
    private static GenerateRequest Build(string spec)
    {
        var request = new GenerateRequest { Model = TinyModel.Id, Text = "hello" };
        var (kind, value) = spec.Contains(':', StringComparison.Ordinal) ? (spec[..spec.IndexOf(':', StringComparison.Ordinal)], spec[(spec.IndexOf(':', StringComparison.Ordinal) + 1)..]) : (spec, "");
        var f = value.Length > 0 && float.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : 0f;
        switch (kind)
        {
            case "{}": request.ClearPrompt(); break;
            case "text": request.Text = value; break;
            case "ids": request.TokenIds = new TokenIds(); if (value.Length > 0) request.TokenIds.Ids.Add(uint.Parse(value, System.Globalization.CultureInfo.InvariantCulture)); break;
            case "model": request.Model = value; break;
            case "long": request.Text = new string('a', TinyModel.ContextLength); break;
            case "max": request.Stop = new StopConditions { MaxTokens = uint.Parse(value, System.Globalization.CultureInfo.InvariantCulture) }; break;
            case "temperature": request.Sampling = new SamplingParams { Temperature = f }; break;
            case "top_k": request.Sampling = new SamplingParams { TopK = uint.Parse(value, System.Globalization.CultureInfo.InvariantCulture) }; break;
            case "top_p": request.Sampling = new SamplingParams { TopP = f }; break;
            case "min_p": request.Sampling = new SamplingParams { MinP = f }; break;
            case "presence": request.Sampling = new SamplingParams { PresencePenalty = f }; break;
            case "frequency": request.Sampling = new SamplingParams { FrequencyPenalty = f }; break;
            case "repetition": request.Sampling = new SamplingParams { RepetitionPenalty = f }; break;
            case "stop": request.Stop = new StopConditions { Stop = { value } }; break;
            case "stop_id": request.Stop = new StopConditions { StopTokenIds = { uint.Parse(value, System.Globalization.CultureInfo.InvariantCulture) } }; break;
            case "role": request.Chat = new ChatPrompt { Messages = { new ChatMessage { Role = value, Content = "hi" } } }; break;
            case "chat": request.Chat = new ChatPrompt(); break;
            case "id": request.RequestId = value; break;
        }

        return request;
    }
}
