using System.Net;
using Cluster.Hosting.Auth;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting;

/// <summary>
/// Checks <see cref="HostingOptions"/> at start-up, with messages that say what to fix. A host that listens beyond
/// loopback must have credentials (<see cref="CheckExposure"/>).
/// </summary>
internal sealed class HostingOptionsValidator(IOptions<AuthOptions> auth, ClusterHostDefaults defaults) : IValidateOptions<HostingOptions>
{
    public ValidateOptionsResult Validate(string? name, HostingOptions options)
    {
        var failures = new List<string>();
        if (!IPAddress.TryParse(options.BindAddress, out var address))
        {
            failures.Add($"Hosting:BindAddress '{options.BindAddress}' is not an IP address (use 127.0.0.1, or 0.0.0.0 / :: with Auth:ClusterToken set).");
        }
        else if (!IPAddress.IsLoopback(address) && !options.AllowInsecure)
        {
            CheckExposure(failures, options.BindAddress, auth.Value, defaults.ClientFacing);
        }

        CheckPort(failures, "Hosting:GrpcPort", options.GrpcPort);
        CheckPort(failures, "Hosting:HttpPort", options.HttpPort);
        if (options.GrpcPort != 0 && options.GrpcPort == options.HttpPort)
        {
            failures.Add($"Hosting:GrpcPort and Hosting:HttpPort are both {options.GrpcPort}; give them different ports.");
        }

        if (options.CertificatePath is { Length: > 0 } path && !File.Exists(path))
        {
            failures.Add($"Hosting:CertificatePath '{path}' does not exist; point it at a .pfx file or remove it for h2c.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>No listener beyond loopback without a token: a missing credential is a start-up error, not a warning.</summary>
    private static void CheckExposure(List<string> failures, string bind, AuthOptions auth, bool clientFacing)
    {
        const string Fix = "bind 127.0.0.1 (Hosting:BindAddress), or accept an open port with Hosting:AllowInsecure=true (--insecure)";
        if (string.IsNullOrEmpty(auth.ClusterToken))
        {
            failures.Add($"Hosting:BindAddress {bind} is reachable beyond this machine but Auth:ClusterToken is empty, so anyone could call the "
                + $"internal APIs (Reserve, Cancel, Generate): set Auth:ClusterToken (e.g. environment variable Auth__ClusterToken), {Fix}.");
        }

        if (clientFacing && !auth.ApiKeys.Any(k => k.Length > 0))
        {
            failures.Add($"Hosting:BindAddress {bind} is reachable beyond this machine but Auth:ApiKeys is empty, so anyone could generate: "
                + $"set Auth:ApiKeys:0 (e.g. environment variable Auth__ApiKeys__0), {Fix}.");
        }
    }

    private static void CheckPort(List<string> failures, string key, int port)
    {
        if (port is < 0 or > 65535)
        {
            failures.Add($"{key} is {port}; it must be between 0 (any free port) and 65535.");
        }
    }
}
