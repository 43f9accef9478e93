using Cluster.Rpc;
using Microsoft.Extensions.Configuration;

namespace Cluster.KvTransfer.Tests;

/// <summary><c>KvTransfer:PushTransport</c>: which transport a sender's Push channel uses.</summary>
public sealed class PushTransportOptionsTests
{
    [Fact]
    public void Default_IsTheDirectHttp2Transport()
    {
        var options = new KvTransferOptions();
        Assert.Equal(RpcClientStreamingTransport.DirectHttp2, options.PushTransport);
        Assert.Equal(RpcClientStreamingTransport.DirectHttp2, options.CreatePushChannelOptions().ClientStreamingTransport);
    }

    [Theory]
    [InlineData("HttpClient", RpcClientStreamingTransport.HttpClient)]
    [InlineData("directhttp2", RpcClientStreamingTransport.DirectHttp2)]
    public void Configuration_NamesTheTransport(string value, RpcClientStreamingTransport expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KvTransfer:PushTransport"] = value }).Build();
        var options = configuration.GetSection(KvTransferOptions.SectionName).Get<KvTransferOptions>()!;
        Assert.Equal(expected, options.CreatePushChannelOptions().ClientStreamingTransport);
    }

    [Fact]
    public void Configuration_UnknownTransport_FailsNamingTheValue()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KvTransfer:PushTransport"] = "quic" }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => configuration.GetSection(KvTransferOptions.SectionName).Get<KvTransferOptions>());
        Assert.Contains("quic", e.Message + e.InnerException?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PushConnections_DefaultFour_ConfiguredValueReachesTheChannel()
    {
        Assert.Equal(KvTransferOptions.DefaultPushConnections, new KvTransferOptions().CreatePushChannelOptions().ConnectionCount);
        Assert.Equal(4, KvTransferOptions.DefaultPushConnections);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KvTransfer:PushConnections"] = "2" }).Build();
        var options = configuration.GetSection(KvTransferOptions.SectionName).Get<KvTransferOptions>()!;
        Assert.Equal(2, options.CreatePushChannelOptions().ConnectionCount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void PushConnections_BelowOne_FailsNamingTheSetting(int value)
    {
        var e = Assert.Throws<InvalidOperationException>(() => new KvTransferOptions { PushConnections = value }.CreatePushChannelOptions());
        Assert.Contains($"KvTransfer:PushConnections must be at least 1 (got {value})", e.Message, StringComparison.Ordinal);
    }
}
