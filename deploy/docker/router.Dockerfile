# syntax=docker/dockerfile:1
# The router: client APIs (gRPC cluster.v1.Inference, OpenAI HTTP) and request coordination. No libtorch.
# Build context: the repository root.
#   docker build -f deploy/docker/router.Dockerfile -t cluster/router:0.1.0 .
# Runs as the non-root user 1654 ("app" of the .NET images) and needs no writable path but /tmp (the chart mounts an
# emptyDir there and sets readOnlyRootFilesystem).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props Cluster.sln .editorconfig ./
COPY proto/ proto/
COPY src/ src/
RUN dotnet publish src/Router/Router.csproj -c Release -o /out/router

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /out/router/ /app/
ENV DOTNET_NOLOGO=1 \
    ASPNETCORE_ENVIRONMENT=Production
USER 1654
# gRPC (h2c) and HTTP/1.1 (/v1, /readyz, /healthz, /metrics): Hosting:GrpcPort and Hosting:HttpPort.
EXPOSE 50051 8080
ENTRYPOINT ["dotnet"]
CMD ["/app/Cluster.Router.dll"]
