using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Cluster.Worker.Grpc;

/// <summary>
/// Test-only fault injection on the sending (prefill) side of the KV transfer (configuration section
/// <c>KvTransfer:TestFaults</c>), off by default. A worker refuses to start with a fault configured unless its host runs in
/// the <see cref="Environment"/> environment (<c>--environment=Testing</c> or <c>DOTNET_ENVIRONMENT=Testing</c>), so a
/// production configuration cannot switch it on by mistake.
/// </summary>
public sealed class KvTransferTestFaults
{
    public const string SectionName = "KvTransfer:TestFaults";

    /// <summary>The only host environment that accepts a fault.</summary>
    public const string Environment = "Testing";

    /// <summary>
    /// Pushes of requests whose <c>cache_salt</c> equals this value send every chunk with a wrong XXH64 checksum: the
    /// receiver refuses each one (frames rejected, reason checksum), the sender resumes up to
    /// <c>KvTransfer:MaxResumeAttempts</c> times and then fails the push (failures, reason dataloss), and the router
    /// recomputes the prompt on the decode worker (recoveries, kind transfer_recompute). Empty (the default): no fault.
    /// </summary>
    public string CorruptChecksumsForCacheSalt { get; set; } = "";

    /// <summary>Whether a push for a request with <paramref name="cacheSalt"/> is to be corrupted.</summary>
    public bool Corrupts(string cacheSalt) =>
        CorruptChecksumsForCacheSalt.Length > 0 && string.Equals(cacheSalt, CorruptChecksumsForCacheSalt, StringComparison.Ordinal);
}

/// <summary>Refuses <see cref="KvTransferTestFaults"/> outside the Testing environment; the message names the setting.</summary>
internal sealed class KvTransferTestFaultsValidator(IHostEnvironment environment) : IValidateOptions<KvTransferTestFaults>
{
    public ValidateOptionsResult Validate(string? name, KvTransferTestFaults options) =>
        options.CorruptChecksumsForCacheSalt.Length == 0 || environment.IsEnvironment(KvTransferTestFaults.Environment)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{KvTransferTestFaults.SectionName}:{nameof(KvTransferTestFaults.CorruptChecksumsForCacheSalt)} is a test-only fault injection and is refused in the " +
                $"'{environment.EnvironmentName}' environment: remove it (it corrupts KV transfers on purpose), or run the host with --environment={KvTransferTestFaults.Environment} in a test.");
}
