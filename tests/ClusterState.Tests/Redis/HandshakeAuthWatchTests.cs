using Cluster.ClusterState.Redis;

namespace Cluster.ClusterState.Tests.Redis;

/// <summary>
/// The connect transcript decides "refused credentials" even when the client's last retry failed otherwise (the CI
/// failure of RedisAuthTests: the last fault was a SocketFailure, so PING's error no longer named NOAUTH).
/// </summary>
public sealed class HandshakeAuthWatchTests
{
    [Fact]
    public void Refusal_SeenEarlier_SurvivesALaterSocketFailure()
    {
        var watch = new HandshakeAuthWatch();
        watch.WriteLine("Response from Interactive/127.0.0.1:1 / ECHO: Error: NOAUTH Authentication required.");
        watch.WriteLine("127.0.0.1:1 faulted: SocketFailure on PING");
        watch.Write("retrying; attempts left: 1...");

        Assert.Equal("Response from Interactive/127.0.0.1:1 / ECHO: Error: NOAUTH Authentication required.", watch.Refusal);
    }

    [Theory]
    [InlineData("127.0.0.1:1 faulted: AuthenticationFailure on PING")]
    [InlineData("Error: WRONGPASS invalid username-password pair or user is disabled.")]
    public void Refusal_NamedInAnUnfinishedLine_IsSeen(string line)
    {
        var watch = new HandshakeAuthWatch();
        watch.Write(line);

        Assert.Equal(line, watch.Refusal);
    }

    [Fact]
    public void Outage_IsNotARefusal()
    {
        var watch = new HandshakeAuthWatch();
        watch.WriteLine("127.0.0.1:1 faulted: UnableToConnect on PING");
        watch.WriteLine("No masters detected");

        Assert.Null(watch.Refusal);
    }
}
