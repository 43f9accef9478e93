using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Rpc.Server;

/// <summary>What every call of the server shares: options and a logger.</summary>
internal sealed class ServerRuntime(IOptions<RpcServerOptions> options, ILogger<ServerRuntime> logger)
{
    public RpcServerOptions Options { get; } = options.Value;

    public ILogger Logger { get; } = logger;
}
