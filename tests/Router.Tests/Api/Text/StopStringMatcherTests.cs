using Cluster.Router.Api.Text;

namespace Cluster.Router.Tests.Api.Text;

public sealed class StopStringMatcherTests
{
    [Fact]
    public void Push_NoStops_EmitsEverythingAtOnce()
    {
        var matcher = new StopStringMatcher([]);
        Assert.Equal(("abc", false), matcher.Push("abc"));
    }

    [Fact]
    public void Push_PrefixOfStop_HeldUntilItCannotMatch()
    {
        var matcher = new StopStringMatcher(["</end>"]);
        Assert.Equal(("x", false), matcher.Push("x</"));
        Assert.Equal(("", false), matcher.Push("e"));
        Assert.Equal(("</ey", false), matcher.Push("y"));
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Push_StopSplitOverPieces_CutsBeforeTheStop()
    {
        var matcher = new StopStringMatcher(["STOP", "ST!"]);
        var emitted = "";
        var stopped = false;
        foreach (var piece in new[] { "ab", "S", "T", "O", "P", "cd" })
        {
            (var emit, stopped) = matcher.Push(piece);
            emitted += emit;
            if (stopped)
            {
                break;
            }
        }

        Assert.True(stopped);
        Assert.Equal("ab", emitted);
    }

    [Fact]
    public void Push_TwoStopsInOnePiece_EarliestWins()
    {
        var matcher = new StopStringMatcher(["zz", "b"]);
        Assert.Equal(("a", true), matcher.Push("abzz"));
    }

    [Fact]
    public void Flush_HeldPrefixAtTheEnd_IsReleased()
    {
        var matcher = new StopStringMatcher(["xyz"]);
        Assert.Equal(("a", false), matcher.Push("axy"));
        Assert.Equal("xy", matcher.Flush());
    }
}
