using System.Reflection;
using System.Xml.Linq;
using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Client.Tests;

/// <summary>The SDK must not drag ASP.NET Core into applications: Client and Contracts (on Grpc.Net.Client / Grpc.Core.Api / Grpc.HealthCheck) stay off it.</summary>
public sealed class SdkDependencyTests
{
    public static TheoryData<string> SdkAssemblies => new()
    {
        typeof(ClusterClient).Assembly.GetName().Name!,
        typeof(Inference).Assembly.GetName().Name!,
        typeof(GrpcChannel).Assembly.GetName().Name!,
        typeof(RpcException).Assembly.GetName().Name!,
        typeof(Grpc.Health.V1.Health).Assembly.GetName().Name!, // Grpc.HealthCheck: CheckHealthAsync's messages and client
    };

    [Theory]
    [MemberData(nameof(SdkAssemblies))]
    public void SdkAssembly_ReferencesNoAspNetCoreOrServerAssembly(string assemblyName)
    {
        var offending = Assembly.Load(assemblyName).GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || name.StartsWith("Grpc.AspNetCore", StringComparison.Ordinal))
            .ToList();
        Assert.True(offending.Count == 0, $"{assemblyName} references {string.Join(", ", offending)}; the SDK must depend on Contracts, Grpc.Net.Client and Grpc.HealthCheck only.");
    }

    [Fact]
    public void ClientProjectClosure_HasNoAspNetCoreFrameworkReference()
    {
        // A FrameworkReference the code never uses leaves no assembly reference, yet it still lands in the package's
        // dependencies: so the project files the SDK is built from are checked too, through every ProjectReference.
        var root = FindRepositoryRoot();
        var pending = new Stack<string>([Path.Combine(root, "src", "Client", "Client.csproj")]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryPop(out var project))
        {
            if (!seen.Add(Path.GetFullPath(project)))
            {
                continue;
            }

            var xml = XDocument.Load(project);
            var frameworks = xml.Descendants("FrameworkReference").Select(e => (string?)e.Attribute("Include"));
            Assert.DoesNotContain("Microsoft.AspNetCore.App", frameworks);
            var packages = xml.Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!);
            Assert.DoesNotContain(packages, p => p.StartsWith("Grpc.AspNetCore", StringComparison.Ordinal));
            foreach (var reference in xml.Descendants("ProjectReference").Select(e => (string)e.Attribute("Include")!))
            {
                pending.Push(Path.Combine(Path.GetDirectoryName(project)!, reference.Replace('\\', Path.DirectorySeparatorChar)));
            }
        }

        Assert.Equal(
            ["Client.csproj", "Contracts.csproj", "Core.csproj"], // Core: GenerationParameters, packable, no ASP.NET Core
            seen.Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray());
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Cluster.sln above {AppContext.BaseDirectory}; run the tests from the repository's build output.");
    }
}
