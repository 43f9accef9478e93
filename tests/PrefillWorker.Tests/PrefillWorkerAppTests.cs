using Cluster.Contracts.V1;
using Cluster.Engine.Synthetic;
using Cluster.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Cluster.Tests.Shared;
using Cluster.Torch;
using Microsoft.Extensions.DependencyInjection;
using WorkerService = Cluster.Contracts.V1.Worker;

namespace Cluster.PrefillWorker.Tests;

public sealed class PrefillWorkerAppTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "prefill-worker-tests-" + Guid.NewGuid().ToString("N"));

    public PrefillWorkerAppTests() => SyntheticModelWriter.Write(ModelDir, ModelPresets.Get("tiny"), ScalarType.Float32, seed: 3);

    private string ModelDir => Path.Combine(_root, "tiny");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public Task Build_StartedOnFreePorts_AnswersGrpcHealthAndHealthz() =>
        HostProbe.AssertServesHealthAsync(args => PrefillWorkerApp.Build([.. args, $"--Worker:ModelPath={ModelDir}"]), "prefill");

    [Fact]
    public async Task Build_Started_StatusReportsTheRoleAndModel()
    {
        await using var app = PrefillWorkerApp.Build([.. HostProbe.FreePorts, $"--Worker:ModelPath={ModelDir}", "--KvCache:NumBlocks=32"]);
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress(app.Services.GetRequiredService<HostEndpoints>().GrpcAddress);

        var status = await new WorkerService.WorkerClient(channel).StatusAsync(new StatusRequest());

        Assert.Equal(WorkerRole.Prefill, status.Role);
        Assert.Equal("tiny", status.Model);
        Assert.Equal(32u, status.KvBlocksTotal);
        Assert.Equal(32u, status.KvBlocksFree);
        await app.StopAsync();
    }

    [Fact]
    public void Defaults_GrpcAndHttpPorts_Differ()
        => Assert.NotEqual(PrefillWorkerApp.Defaults.GrpcPort, PrefillWorkerApp.Defaults.HttpPort);
}
