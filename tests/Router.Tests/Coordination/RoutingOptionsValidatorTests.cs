using Cluster.Router.Coordination;
using Microsoft.Extensions.Options;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;

namespace Cluster.Router.Tests.Coordination;

public sealed class RoutingOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed() =>
        Assert.True(new RoutingOptionsValidator().Validate(null, new RoutingOptions()).Succeeded);

    [Fact]
    public void Validate_UnknownPolicyAndBadNumbers_FailNamingEachSetting()
    {
        var result = new RoutingOptionsValidator().Validate(null, new RoutingOptions
        {
            PrefillPolicy = "fastest",
            DecodePolicy = "random",
            BlockSize = 0,
            MaxQueuedRequests = -1,
            MaxPrefillAttempts = 0,
            QueueTimeout = TimeSpan.Zero,
            DisaggregationPolicy = "always",
            TransferCostSmoothing = 0,
            WorkerChannelGrace = TimeSpan.FromSeconds(-1),
        });

        Assert.True(result.Failed);
        foreach (var setting in new[] { "Routing:PrefillPolicy 'fastest'", "Routing:DecodePolicy 'random'", "Routing:BlockSize", "Routing:MaxQueuedRequests", "Routing:MaxPrefillAttempts", "Routing:QueueTimeout", "Routing:DisaggregationPolicy 'always'", "Routing:TransferCostSmoothing", "Routing:WorkerChannelGrace" })
        {
            Assert.Contains(result.Failures!, f => f.StartsWith(setting, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AddRequestCoordinator_UnknownPolicyName_FailsWhenOptionsAreRead()
    {
        await using var harness = Create(new() { ["Routing:DecodePolicy"] = "nope" });
        var e = Assert.Throws<OptionsValidationException>(() => harness.Coordinator);
        Assert.Contains("cache-aware, least-loaded, round-robin", e.Message, StringComparison.Ordinal);
    }
}
