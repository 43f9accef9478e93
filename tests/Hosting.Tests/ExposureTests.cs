using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting.Tests;

/// <summary>No listener beyond loopback without a token: hosts bound to 0.0.0.0 refuse to start without credentials.</summary>
public sealed class ExposureTests
{
    private static readonly ClusterHostDefaults Worker = new("test", 50999, 8999);
    private static readonly ClusterHostDefaults Router = new("router", 50999, 8999, ClientFacing: true);

    [Fact]
    public async Task Start_AllInterfacesWithoutClusterToken_FailsNamingTheFixes()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(Worker, "--Hosting:BindAddress=0.0.0.0"));
        Assert.Contains("Auth:ClusterToken is empty", e.Message);
        Assert.Contains("bind 127.0.0.1", e.Message);
        Assert.Contains("--insecure", e.Message);
    }

    [Fact]
    public async Task Start_IPv6AnyWithoutClusterToken_Fails()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(Worker, "--Hosting:BindAddress=::"));
        Assert.Contains("Auth:ClusterToken", e.Message);
    }

    [Fact]
    public async Task Start_AllInterfacesWithClusterToken_Listens()
    {
        await using var app = await StartAsync(Worker, "--Hosting:BindAddress=0.0.0.0", "--Auth:ClusterToken=t0ken");
        Assert.All(app.Urls, url => Assert.StartsWith("http://0.0.0.0:", url));
    }

    [Fact]
    public async Task Start_AllInterfacesWithInsecureSwitch_Listens()
    {
        await using var app = await StartAsync(Worker, "--Hosting:BindAddress=0.0.0.0", "--insecure");
        Assert.True(app.Services.GetRequiredService<IOptions<HostingOptions>>().Value.AllowInsecure);
    }

    [Fact]
    public async Task Start_RouterOnAllInterfacesWithTokenButNoApiKey_FailsNamingApiKeys()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(Router, "--Hosting:BindAddress=0.0.0.0", "--Auth:ClusterToken=t0ken"));
        Assert.Contains("Auth:ApiKeys is empty", e.Message);
        Assert.DoesNotContain("t0ken", e.Message);
    }

    [Fact]
    public async Task Start_RouterOnAllInterfacesWithTokenAndApiKey_Listens()
    {
        await using var app = await StartAsync(Router, "--Hosting:BindAddress=0.0.0.0", "--Auth:ClusterToken=t0ken", "--Auth:ApiKeys:0=k3y");
        Assert.All(app.Urls, url => Assert.StartsWith("http://0.0.0.0:", url));
    }

    [Fact]
    public async Task Start_NoBindAddressNoCredentials_ListensOnLoopbackOnly()
    {
        await using var app = await StartAsync(Router);
        Assert.Equal(2, app.Urls.Count);
        Assert.All(app.Urls, url => Assert.StartsWith("http://127.0.0.1:", url));
    }

    private static async Task<WebApplication> StartAsync(ClusterHostDefaults defaults, params string[] args)
    {
        var app = ClusterHost.Build(["--Hosting:GrpcPort=0", "--Hosting:HttpPort=0", .. args], defaults);
        try
        {
            await app.StartAsync();
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}
