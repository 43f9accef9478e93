using Cluster.Torch;
using Microsoft.Extensions.Options;

namespace Cluster.Worker;

/// <summary>Checks <see cref="WorkerOptions"/> at start-up; every message names the setting to fix.</summary>
internal sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            errors.Add("Worker:ModelPath is required: set it to a Hugging Face model directory (config.json + *.safetensors), e.g. one made by 'cluster make-model'.");
        }
        else if (!File.Exists(Path.Combine(options.ModelPath, "config.json")))
        {
            errors.Add($"Worker:ModelPath '{options.ModelPath}' holds no config.json: point it at a Hugging Face model directory.");
        }

        Check(errors, () => Device.Parse(options.Device), "Worker:Device");
        if (!string.IsNullOrWhiteSpace(options.DType))
        {
            Check(errors, () =>
            {
                var type = ScalarTypeExtensions.Parse(options.DType);
                if (type is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
                {
                    throw new ArgumentException($"'{options.DType}' is not a floating-point type (use fp32, bf16 or fp16)");
                }
            }, "Worker:DType");
        }

        if (string.IsNullOrWhiteSpace(options.AdvertiseHost)) errors.Add("Worker:AdvertiseHost is empty: set the host name other processes reach this worker at.");
        if (options.Id is { } id && id.Length > 0 && string.IsNullOrWhiteSpace(id)) errors.Add("Worker:Id is blank.");
        if (options.HeartbeatInterval <= TimeSpan.Zero) errors.Add($"Worker:HeartbeatInterval must be > 0 (got {options.HeartbeatInterval}).");
        if (options.DrainTimeout < TimeSpan.Zero) errors.Add($"Worker:DrainTimeout must be ≥ 0 (got {options.DrainTimeout}).");
        if (options.KvEventInterval <= TimeSpan.Zero) errors.Add($"Worker:KvEventInterval must be > 0 (got {options.KvEventInterval}).");
        if (options.MaxModelLength < 2) errors.Add($"Worker:MaxModelLength must be ≥ 2 (got {options.MaxModelLength}).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(List<string> errors, Action parse, string setting)
    {
        try
        {
            parse();
        }
        catch (ArgumentException e)
        {
            errors.Add($"{setting}: {e.Message}");
        }
    }
}
