using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Cluster.Contracts.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Client.Tests;

/// <summary>
/// A real h2c server speaking <c>cluster.v1.Inference</c> whose behaviour each test scripts: it records every call's
/// headers and cancellation, and answers from <see cref="OnGenerate"/>.
/// </summary>
internal sealed class ScriptedRouter : Inference.InferenceBase, IAsyncDisposable
{
    private WebApplication? _app;
    private int _calls;

    /// <summary>Called per Generate call with its 1-based number.</summary>
    public Func<int, GenerateRequest, IServerStreamWriter<GenerateResponse>, ServerCallContext, Task> OnGenerate { get; set; } =
        (_, request, stream, context) => StreamWords(request, stream, context, "hello", " world");

    public int Calls => Volatile.Read(ref _calls);

    public ConcurrentQueue<string> Authorizations { get; } = new();

    public TaskCompletionSource ServerSawCancellation { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri Address { get; private set; } = null!;

    /// <summary>Starts on 127.0.0.1, h2c, or TLS (h2 by ALPN) with <paramref name="certificate"/>.</summary>
    public static async Task<ScriptedRouter> StartAsync(X509Certificate2? certificate = null)
    {
        var router = new ScriptedRouter();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            if (certificate is not null)
            {
                l.UseHttps(certificate);
            }
        }));
        builder.Services.AddGrpc(o => o.EnableDetailedErrors = true);
        builder.Services.AddSingleton(router);
        router._app = builder.Build();
        router._app.MapGrpcService<ScriptedRouter>();
        await router._app.StartAsync();
        router.Address = new Uri(router._app.Urls.First());
        return router;
    }

    public override Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        var n = Interlocked.Increment(ref _calls);
        Authorizations.Enqueue(context.RequestHeaders.GetValue("authorization") ?? "");
        context.CancellationToken.Register(() => ServerSawCancellation.TrySetResult());
        return OnGenerate(n, request, responseStream, context);
    }

    public override Task<CompleteResponse> Complete(GenerateRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        Authorizations.Enqueue(context.RequestHeaders.GetValue("authorization") ?? "");
        return Task.FromResult(new CompleteResponse
        {
            RequestId = "c1",
            Text = "echo: " + request.Text,
            TokenIds = { 1, 2 },
            FinishReason = Contracts.V1.FinishReason.Length,
            Usage = new Usage { PromptTokens = 3, CompletionTokens = 2, TotalTokens = 5 },
        });
    }

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        Authorizations.Enqueue(context.RequestHeaders.GetValue("authorization") ?? "");
        return Task.FromResult(new ListModelsResponse { Models = { new ModelInfo { Id = "tiny", MaxModelLength = 2048, OwnedBy = "cluster" } } });
    }

    /// <summary>Request ids of the Cancel calls; a cancel answers NOT_FOUND unless its id is in <see cref="Cancellable"/>.</summary>
    public ConcurrentQueue<string> Cancels { get; } = new();

    public HashSet<string> Cancellable { get; } = [];

    public override Task<CancelGenerationResponse> Cancel(CancelGenerationRequest request, ServerCallContext context)
    {
        Authorizations.Enqueue(context.RequestHeaders.GetValue("authorization") ?? "");
        Cancels.Enqueue(request.RequestId);
        return Cancellable.Contains(request.RequestId)
            ? Task.FromResult(new CancelGenerationResponse { RequestId = request.RequestId })
            : throw new RpcException(new Status(StatusCode.NotFound, "no running request with that id"));
    }

    public static async Task StreamWords(GenerateRequest request, IServerStreamWriter<GenerateResponse> stream, ServerCallContext context, params string[] words)
    {
        for (var i = 0; i < words.Length; i++)
        {
            await stream.WriteAsync(new GenerateResponse { RequestId = "r1", Text = words[i], TokenIds = { (uint)i } }, context.CancellationToken);
        }

        await stream.WriteAsync(new GenerateResponse
        {
            RequestId = "r1",
            FinishReason = Contracts.V1.FinishReason.Stop,
            Usage = new Usage { PromptTokens = 4, CompletionTokens = (uint)words.Length, CachedPromptTokens = 2 },
        }, context.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
