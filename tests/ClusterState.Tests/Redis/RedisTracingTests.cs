using System.Collections.Concurrent;
using System.Diagnostics;
using Cluster.ClusterState.Tests.Support;
using Cluster.Core.Ids;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Cluster.ClusterState.Tests.Redis;

/// <summary>Redis commands of the cluster state show in the host's traces (OpenTelemetry.Instrumentation.StackExchangeRedis).</summary>
public sealed class RedisTracingTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const string InstrumentationSource = "OpenTelemetry.Instrumentation.StackExchangeRedis";
    private static readonly ActivitySource Source = new("Cluster.Tests.RedisTracing");

    private static ServiceProvider Build(string? connectionString, out ConcurrentQueue<Activity> redisSpans, out ActivityListener listener)
    {
        var settings = new Dictionary<string, string?> { ["ClusterState:KeyPrefix"] = $"t{Guid.NewGuid():N}:" };
        if (connectionString is not null) settings["ClusterState:RedisConnectionString"] = connectionString;
        var services = new ServiceCollection().AddClusterState(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddOpenTelemetry().WithTracing(t => t.AddSource(Source.Name));
        var spans = new ConcurrentQueue<Activity>();
        listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == InstrumentationSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        redisSpans = spans;
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task RegistryCallInsideARequestSpan_RedisCommandSpansShareItsTrace()
    {
        await using var services = Build(redis.Server.ConnectionString, out var spans, out var listener);
        using var _ = listener;
        using var provider = services.GetRequiredService<TracerProvider>();   // the host's provider, built first (as at start-up)
        var registry = services.GetRequiredService<IWorkerRegistry>();         // the connection opens after the provider exists

        ActivityTraceId trace;
        using (var request = Source.StartActivity("request"))
        {
            Assert.NotNull(request);
            trace = request.TraceId;
            await registry.ListAsync(new ModelId("m"));
        }

        var clock = Stopwatch.StartNew();
        while (!spans.Any(s => s.TraceId == trace))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"no Redis span in trace {trace} within 30 s; spans seen: {string.Join(", ", spans.Select(s => s.DisplayName))}");
            await Task.Yield();
        }

        Assert.Contains(spans, s => s.TraceId == trace && s.Tags.Any(t => t.Key.StartsWith("db.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task EmbeddedState_TheProviderBuildsWithoutOpeningARedisConnection()
    {
        await using var services = Build(connectionString: null, out var spans, out var listener);
        using var _ = listener;
        using var provider = services.GetRequiredService<TracerProvider>();
        using (Source.StartActivity("request"))
        {
            await services.GetRequiredService<IWorkerRegistry>().ListAsync(new ModelId("m"));
        }

        Assert.Empty(spans);
    }
}
