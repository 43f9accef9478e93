using Cluster.Rpc.Tests.Infrastructure;

namespace Cluster.Rpc.Tests.Interop;

/// <summary>Our server with <see cref="InteropEchoService"/> and 16 MiB limits, shared by the grpc-js client tests.</summary>
public sealed class OurServerFixture : IAsyncLifetime
{
    private TestServer? _server;

    internal InteropEchoService Service { get; } = new();

    internal string HostPort => _server!.Address.Authority;

    public async Task InitializeAsync() =>
        _server = await TestServer.StartAsync(Service.Definition, o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
