using Microsoft.Extensions.Options;

namespace Cluster.Hosting;

/// <summary>Checks <see cref="HostingOptions"/> at start-up, with messages that say what to fix.</summary>
internal sealed class HostingOptionsValidator : IValidateOptions<HostingOptions>
{
    public ValidateOptionsResult Validate(string? name, HostingOptions options)
    {
        var failures = new List<string>();
        if (!System.Net.IPAddress.TryParse(options.BindAddress, out _))
        {
            failures.Add($"Hosting:BindAddress '{options.BindAddress}' is not an IP address (use 0.0.0.0, 127.0.0.1 or ::).");
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

    private static void CheckPort(List<string> failures, string key, int port)
    {
        if (port is < 0 or > 65535)
        {
            failures.Add($"{key} is {port}; it must be between 0 (any free port) and 65535.");
        }
    }
}
