using System.Net.Http.Headers;
using Cluster.Contracts.V1;
using Cluster.Hosting;
using Cluster.Router.Coordination;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Router.Tests.Api.Infrastructure;

/// <summary>The real router, in-process on free 127.0.0.1 ports, serving <see cref="TinyModel"/> over a <see cref="FakeCoordinator"/>.</summary>
internal sealed class RouterHarness : IAsyncDisposable
{
    public const string ApiKey = "test-key-123";

    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private RouterHarness(WebApplication app, FakeCoordinator coordinator, bool requiresKey)
    {
        RequiresKey = requiresKey;
        _app = app;
        Coordinator = coordinator;
        var endpoints = app.Services.GetRequiredService<HostEndpoints>();
        GrpcAddress = endpoints.GrpcAddress;
        HttpAddress = endpoints.HttpAddress;
        _channel = GrpcChannel.ForAddress(GrpcAddress);
        Grpc = new Inference.InferenceClient(_channel);
        Http = new HttpClient { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (RequiresKey)
        {
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        }
    }

    public FakeCoordinator Coordinator { get; }

    public Uri GrpcAddress { get; }

    public Uri HttpAddress { get; }

    public Inference.InferenceClient Grpc { get; }

    /// <summary>Sends the API key when the router requires one.</summary>
    public HttpClient Http { get; }

    public bool RequiresKey { get; }

    public static async Task<RouterHarness> StartAsync(bool requireKey = false, int maxRequestBytes = 0, string? modelDirectory = null, string[]? extraArgs = null,
        Action<IServiceCollection>? services = null)
    {
        var args = new List<string>
        {
            "--Hosting:BindAddress=127.0.0.1", "--Hosting:GrpcPort=0", "--Hosting:HttpPort=0",
            $"--Router:Models:0:Id={TinyModel.Id}", $"--Router:Models:0:Path={modelDirectory ?? TinyModel.Directory}",
            "--Logging:LogLevel:Default=Warning",
        };
        if (requireKey)
        {
            args.Add($"--Auth:ApiKeys:0={ApiKey}");
        }

        if (maxRequestBytes > 0)
        {
            args.Add($"--Router:MaxRequestBytes={maxRequestBytes}");
        }

        args.AddRange(extraArgs ?? []);
        var coordinator = new FakeCoordinator();
        var app = RouterApp.Build([.. args], b =>
        {
            b.Services.AddSingleton<IRequestCoordinator>(coordinator);
            services?.Invoke(b.Services);
        });
        await app.StartAsync();
        return new RouterHarness(app, coordinator, requireKey);
    }

    public CallOptions KeyedOptions(CancellationToken cancellationToken = default) =>
        new(headers: RequiresKey ? new Metadata { { "authorization", "Bearer " + ApiKey } } : null, cancellationToken: cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
