using Cluster.Hosting;
using Cluster.Tests.Shared;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using V1 = Grpc.Reflection.V1;
using V1Alpha = Grpc.Reflection.V1Alpha;

namespace Cluster.Router.Tests.Api.Grpc;

/// <summary>
/// Server reflection on the router (what grpcurl uses), through Grpc.Reflection's generated clients: the services are
/// listed, and cluster.v1.Inference (bound by the UTF-8-checking binder, not the generated one) resolves to its file.
/// </summary>
public sealed class ServerReflectionTests
{
    [Fact]
    public async Task V1Alpha_ListServicesAndFileContainingInference()
    {
        await using var app = RouterApp.Build([.. HostProbe.FreePorts]);
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress(app.Services.GetRequiredService<HostEndpoints>().GrpcAddress);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = new V1Alpha.ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(cancellationToken: bound.Token);

        await call.RequestStream.WriteAsync(new V1Alpha.ServerReflectionRequest { ListServices = "" }, bound.Token);
        Assert.True(await call.ResponseStream.MoveNext(bound.Token));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToArray();
        Assert.Contains("cluster.v1.Inference", services);
        Assert.Contains("grpc.health.v1.Health", services);

        await call.RequestStream.WriteAsync(new V1Alpha.ServerReflectionRequest { FileContainingSymbol = "cluster.v1.Inference" }, bound.Token);
        Assert.True(await call.ResponseStream.MoveNext(bound.Token));
        var files = call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto
            .Select(bytes => FileDescriptorProto.Parser.ParseFrom(bytes)).ToArray();
        var inference = Assert.Single(files, f => f.Service.Any(s => s.Name == "Inference"));
        Assert.Equal("cluster.v1", inference.Package);
        Assert.Equal(["Generate", "Complete", "ListModels", "Cancel"], inference.Service.Single(s => s.Name == "Inference").Method.Select(m => m.Name).ToArray());

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(bound.Token));
        await app.StopAsync();
    }

    [Fact]
    public async Task V1_ListServices_IncludesInference()
    {
        await using var app = RouterApp.Build([.. HostProbe.FreePorts]);
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress(app.Services.GetRequiredService<HostEndpoints>().GrpcAddress);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = new V1.ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(cancellationToken: bound.Token);

        await call.RequestStream.WriteAsync(new V1.ServerReflectionRequest { ListServices = "" }, bound.Token);
        Assert.True(await call.ResponseStream.MoveNext(bound.Token));
        Assert.Contains("cluster.v1.Inference", call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name));

        await call.RequestStream.CompleteAsync();
        await app.StopAsync();
    }
}
