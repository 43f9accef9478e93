
namespace Cluster.Hosting.Tests.Interop;

/// <summary>The real @grpc/grpc-js server (tests/interop/server.js), shared by the tests of our client.</summary>
public sealed class GrpcJsServerFixture : IAsyncLifetime
{
    private NodeProcess? _node;

    internal NodeProcess Node => _node!;

    internal Uri Address { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _node = NodeProcess.Start("server.js");
        var line = await _node.WaitForLineAsync(l => l.StartsWith("PORT ", StringComparison.Ordinal));
        Address = new Uri("http://127.0.0.1:" + line["PORT ".Length..]);
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }
}
