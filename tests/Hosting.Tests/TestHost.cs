using Cluster.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Hosting.Tests;

/// <summary>A cluster host on 127.0.0.1 with free ports, plus a gRPC channel to it.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    private TestHost(WebApplication app)
    {
        App = app;
        Endpoints = app.Services.GetRequiredService<HostEndpoints>();
        Channel = GrpcChannel.ForAddress(Endpoints.GrpcAddress);
        Http = new HttpClient { BaseAddress = Endpoints.HttpAddress };
    }

    public WebApplication App { get; }

    public HostEndpoints Endpoints { get; }

    public GrpcChannel Channel { get; }

    public HttpClient Http { get; }

    public static string[] FreePortArgs { get; } =
        ["--Hosting:BindAddress=127.0.0.1", "--Hosting:GrpcPort=0", "--Hosting:HttpPort=0"];

    public static Task<TestHost> StartAsync(params string[] extraArgs) => StartAsync(_ => { }, extraArgs);

    public static Task<TestHost> StartAsync(Action<WebApplication> map, params string[] extraArgs) => StartAsync(_ => { }, map, extraArgs);

    public static async Task<TestHost> StartAsync(Action<WebApplicationBuilder> configure, Action<WebApplication> map, params string[] extraArgs)
    {
        var app = ClusterHost.Build([.. FreePortArgs, .. extraArgs], new ClusterHostDefaults("test", 50999, 8999), configure, map);
        await app.StartAsync();
        return new TestHost(app);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
