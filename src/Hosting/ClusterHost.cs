using Microsoft.AspNetCore.Builder;

namespace Cluster.Hosting;

/// <summary>Builds a cluster host: the shared wiring of <see cref="ClusterHostExtensions"/> plus the role's own.</summary>
public static class ClusterHost
{
    /// <summary>
    /// A web application listening on the role's ports with health, credentials and logging wired;
    /// <paramref name="configure"/> adds the role's services before the build, <paramref name="map"/> its endpoints after.
    /// </summary>
    public static WebApplication Build(
        string[] args,
        ClusterHostDefaults defaults,
        Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateBuilder(ExpandInsecureSwitch(args));
        builder.AddClusterHost(defaults);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapClusterHost();
        map?.Invoke(app);
        return app;
    }

    /// <summary>Replaces <c>--insecure</c> with <c>--Hosting:AllowInsecure=true</c> (the configuration parser needs key=value).</summary>
    internal static string[] ExpandInsecureSwitch(string[] args) =>
        [.. args.Select(a => string.Equals(a, HostingOptions.InsecureSwitch, StringComparison.OrdinalIgnoreCase) ? "--Hosting:AllowInsecure=true" : a)];
}
