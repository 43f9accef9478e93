using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Cluster.Deploy.Tests.Infrastructure;

namespace Cluster.Deploy.Tests;

/// <summary>
/// Every Section__Key variable the chart gives a host names a real option and carries a value of its type: a misspelt
/// key would be ignored silently by ASP.NET Core configuration, so the process test alone could not catch it. Options
/// types are found by their <c>SectionName</c> constant in the hosts' assemblies; framework sections (Logging) and
/// variables without "__" (DOTNET_*) are not options of ours.
/// </summary>
public sealed class ConfigurationKeysTests
{
    private static readonly string[] FrameworkSections = ["Logging"];
    private static readonly Lazy<ILookup<string, Type>> Sections = new(FindSections);

    public static TheoryData<string> Examples => [.. Repo.ExampleNames];

    [Theory]
    [MemberData(nameof(Examples))]
    public void EveryVariable_NamesAnOption_WithAValueOfItsType(string example)
    {
        var chart = ChartRenderer.RenderOk(Repo.Example(example));
        var checkedKeys = 0;
        foreach (var container in chart.Deployments.Select(d => d.MainContainer()))
        {
            foreach (var env in container.Env.Where(e => e.Name.Contains("__", StringComparison.Ordinal)))
            {
                var path = env.Name.Split("__");
                if (FrameworkSections.Contains(path[0]))
                {
                    continue;
                }

                var type = Sections.Value[path[0]].Select(t => Resolve(t, path[1..])).FirstOrDefault(t => t is not null);
                Assert.True(type is not null, $"{container.Name}: {env.Name} is no option of the hosts (sections: {string.Join(", ", Sections.Value.Select(g => g.Key))})");
                if (env.Value is not null && type != typeof(string))
                {
                    var converter = TypeDescriptor.GetConverter(Nullable.GetUnderlyingType(type!) ?? type!);
                    Assert.True(converter.IsValid(env.Value), $"{container.Name}: {env.Name}={env.Value} is not a {type!.Name}");
                    converter.ConvertFromInvariantString(env.Value);
                }

                checkedKeys++;
            }
        }

        Assert.True(checkedKeys > 20);
    }

    [Fact]
    public void MisspeltKey_IsCaught()
    {
        Assert.NotNull(Resolve(typeof(Cluster.Worker.WorkerOptions), ["DrainTimeout"]));
        Assert.Null(Resolve(typeof(Cluster.Worker.WorkerOptions), ["DrainTimout"]));
        Assert.Equal(typeof(string), Resolve(typeof(Cluster.Router.Models.RouterModelsOptions), ["Models", "0", "Id"]));
    }

    /// <summary>The type at <paramref name="path"/> below <paramref name="type"/> (properties, list indexes), or null.</summary>
    private static Type? Resolve(Type type, string[] path)
    {
        foreach (var segment in path)
        {
            if (type != typeof(string) && type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IList<>)) is { } list
                && int.TryParse(segment, out _))
            {
                type = list.GetGenericArguments()[0];
                continue;
            }

            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite && !typeof(IEnumerable).IsAssignableFrom(property.PropertyType))
            {
                return null;
            }

            type = property.PropertyType;
        }

        return type;
    }

    private static ILookup<string, Type> FindSections() =>
        new[]
        {
            typeof(Cluster.Hosting.HostingOptions), typeof(Cluster.Worker.WorkerOptions), typeof(Cluster.Router.Models.RouterModelsOptions),
            typeof(Cluster.Engine.Scheduling.EngineOptions), typeof(Cluster.ClusterState.ClusterStateOptions), typeof(Cluster.KvTransfer.KvTransferOptions),
            typeof(Cluster.Router.Orleans.Hosting.RouterTierOptions),
        }
        .Select(t => t.Assembly).Distinct()
        .SelectMany(a => a.GetExportedTypes())
        .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
        .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
        .ToLookup(x => (string)x.Field!.GetValue(null)!, x => x.Type, StringComparer.OrdinalIgnoreCase);
}
