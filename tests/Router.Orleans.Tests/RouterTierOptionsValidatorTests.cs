using Cluster.Router.Orleans.Hosting;

namespace Cluster.Router.Orleans.Tests;

public sealed class RouterTierOptionsValidatorTests
{
    [Fact]
    public void Defaults_AreValid() => Assert.True(new RouterTierOptionsValidator().Validate(null, new RouterTierOptions()).Succeeded);

    [Fact]
    public void MembershipCheckInterval_BelowOneTenthOfASecond_FailsNamingTheSetting()
    {
        var result = new RouterTierOptionsValidator().Validate(null, new RouterTierOptions { MembershipCheckInterval = TimeSpan.FromMilliseconds(50) });
        Assert.True(result.Failed);
        Assert.Contains("RouterTier:MembershipCheckInterval", result.FailureMessage, StringComparison.Ordinal);
    }
}
