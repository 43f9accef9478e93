# syntax=docker/dockerfile:1
# Workers (prefill, decode, colocated) and the `cluster` command (its make-model writes the chart's synthetic model),
# with the native op library src/Torch/Native built against the image's libtorch. Two variants, one per target:
#   docker build -f deploy/docker/worker.Dockerfile --target cpu  -t cluster/worker:0.1.0-cpu  .
#   docker build -f deploy/docker/worker.Dockerfile --target cuda -t cluster/worker:0.1.0-cuda .
# cpu: Debian 12 with Debian's libtorch 1.13 (CPU). cuda: a PyTorch/CUDA image; the native library links the libtorch
# inside its torch package (RPATH) and is built with nvcc for the fused kernels.
# .NET 10 ships no Debian or PyTorch images, so the SDK and the ASP.NET Core runtime are copied from Microsoft's images
# (they need only glibc; the projects use invariant globalization, so no ICU).
# The entry point runs a dll named by the pod: /app/Cluster.PrefillWorker.dll or /app/Cluster.DecodeWorker.dll
# (colocated: DecodeWorker with Engine__Role=colocated), or /app/cluster.dll make-model ... in an init container.

ARG DOTNET_SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG DOTNET_RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0
ARG DEBIAN_IMAGE=debian:bookworm-slim
ARG PYTORCH_DEVEL_IMAGE=pytorch/pytorch:2.5.1-cuda12.4-cudnn9-devel
ARG PYTORCH_RUNTIME_IMAGE=pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime

FROM ${DOTNET_SDK_IMAGE} AS dotnet-sdk
FROM ${DOTNET_RUNTIME_IMAGE} AS dotnet-runtime

# ---- CPU: build against Debian's libtorch-dev ----
FROM ${DEBIAN_IMAGE} AS build-cpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates cmake g++ make libtorch-dev libssl3 zlib1g \
 && rm -rf /var/lib/apt/lists/*
COPY --from=dotnet-sdk /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props Cluster.sln .editorconfig ./
COPY proto/ proto/
COPY src/ src/
RUN dotnet publish src/Cli/Cli.csproj -c Release -o /out/worker

FROM ${DEBIAN_IMAGE} AS cpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libtorch1.13 libssl3 zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1654 app && useradd --uid 1654 --gid 1654 --no-create-home --home-dir /tmp app
COPY --from=dotnet-runtime /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build-cpu /out/worker/ /app/
ENV DOTNET_NOLOGO=1 DOTNET_RUNNING_IN_CONTAINER=true ASPNETCORE_ENVIRONMENT=Production
USER 1654
# gRPC (cluster.v1.Worker + KvTransfer) and HTTP/1.1 (/readyz, /healthz, /metrics); the chart sets the ports per role.
EXPOSE 50061 8081 50071 8082
ENTRYPOINT ["dotnet"]
CMD ["/app/Cluster.DecodeWorker.dll"]

# ---- CUDA: build against the libtorch of the PyTorch image (same path in the runtime image) ----
FROM ${PYTORCH_DEVEL_IMAGE} AS build-cuda
# No GPU during `docker build`, so libtorch's CMake cannot detect one: name the GPU architectures to compile for
# (8.0 A100, 8.6/8.9 Ampere/Ada cards, 9.0 H100). Override with --build-arg TORCH_CUDA_ARCH_LIST=...
ARG TORCH_CUDA_ARCH_LIST="8.0;8.6;8.9;9.0"
ENV TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST}
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates cmake g++ make \
 && rm -rf /var/lib/apt/lists/*
COPY --from=dotnet-sdk /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props Cluster.sln .editorconfig ./
COPY proto/ proto/
COPY src/ src/
RUN TORCH_CMAKE_PREFIX_PATH="$(python -c 'import torch; print(torch.utils.cmake_prefix_path)')" \
    dotnet publish src/Cli/Cli.csproj -c Release -o /out/worker

FROM ${PYTORCH_RUNTIME_IMAGE} AS cuda
RUN groupadd --gid 1654 app && useradd --uid 1654 --gid 1654 --no-create-home --home-dir /tmp app
COPY --from=dotnet-runtime /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build-cuda /out/worker/ /app/
ENV DOTNET_NOLOGO=1 DOTNET_RUNNING_IN_CONTAINER=true ASPNETCORE_ENVIRONMENT=Production
USER 1654
EXPOSE 50061 8081 50071 8082
ENTRYPOINT ["dotnet"]
CMD ["/app/Cluster.DecodeWorker.dll"]
