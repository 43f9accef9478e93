using Cluster.Tests.Shared;
using Cluster.Worker.Tests.Support;
using Microsoft.Extensions.Options;

namespace Cluster.Worker.Tests;

/// <summary>Bad worker settings fail while the host is built and started, with a message naming the setting.</summary>
public sealed class OptionsTests
{
    [Fact]
    public async Task Start_WithoutModelPath_FailsNamingWorkerModelPath()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => BuildAndStartAsync(HostProbe.FreePorts));
        Assert.Contains("Worker:ModelPath is required", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnknownDeviceAndNoModel_FailsNamingBothSettings()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            BuildAndStartAsync([.. HostProbe.FreePorts, "--Worker:ModelPath=/nonexistent", "--Worker:Device=tpu"]));
        Assert.Contains("Worker:Device", e.Message, StringComparison.Ordinal);
        Assert.Contains("holds no config.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_BadEngineRole_FailsNamingEngineRole()
    {
        using var model = new TinyModel();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            BuildAndStartAsync([.. HostProbe.FreePorts, $"--Worker:ModelPath={model.Directory}", "--Engine:Role=both"]));
        Assert.Contains("Engine:Role", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_KvTransferFaultOutsideTesting_FailsNamingTheSettingAndTheEnvironment()
    {
        using var model = new TinyModel();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            BuildAndStartAsync([.. HostProbe.FreePorts, $"--Worker:ModelPath={model.Directory}", "--KvTransfer:TestFaults:CorruptChecksumsForCacheSalt=x"]));
        Assert.Contains("KvTransfer:TestFaults:CorruptChecksumsForCacheSalt is a test-only fault injection", e.Message, StringComparison.Ordinal);
        Assert.Contains("'Production' environment", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_KvTransferFaultInTestingEnvironment_Starts()
    {
        using var model = new TinyModel();
        await BuildAndStartAsync([.. HostProbe.FreePorts, $"--Worker:ModelPath={model.Directory}", "--environment=Testing", "--KvTransfer:TestFaults:CorruptChecksumsForCacheSalt=x"]);
    }

    private static async Task BuildAndStartAsync(string[] args)
    {
        await using var app = WorkerApp.Build(args, WorkerPair.DecodeRole);
        await app.StartAsync();
        await app.StopAsync();
    }
}
