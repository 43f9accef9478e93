#!/usr/bin/env python3
"""A second, independent gRPC peer for the router's cluster.v1.Inference API: Python grpcio (C core).

Makes one streamed Generate call, prints each chunk's tokens as they arrive, then the finish reason, usage and the
call's final gRPC status. The stubs are generated at run time from proto/ with grpc_tools (nothing generated is
committed). Where grpc_tools' bundled protoc is too old for proto3 `optional` (Debian's python3-grpc-tools 1.14), the
messages are built from a descriptor set made by a newer protoc ($PROTOC, PATH, or Grpc.Tools' in the NuGet cache)
and Generate is a plain grpcio unary_stream call on the same method path. Exit code 0 only when the status is OK and at least one token arrived.

    python3 tests/reference/grpcio_generate.py --target 127.0.0.1:50071 --prompt "Hello" --max-tokens 16

Needs grpcio, grpcio-tools and protobuf: `pip install grpcio grpcio-tools`, or on Debian/Ubuntu
`apt-get install python3-grpcio python3-grpc-tools` (then run it with /usr/bin/python3). The API key, if the router
wants one, comes from the CLUSTER_API_KEY environment variable (never from the command line).
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO_ROOT = os.path.join(REPO, "proto")
PROTOS = ["cluster/v1/common.proto", "cluster/v1/inference.proto"]


def fail(message):
    print(f"grpcio_generate: {message}", file=sys.stderr)
    sys.exit(2)


class Stubs:
    """The message classes and the Generate callable, however they were made."""

    def __init__(self, how, generate_request, sampling, stop, finish_name, generate):
        self.how, self.GenerateRequest, self.SamplingParams, self.StopConditions = how, generate_request, sampling, stop
        self.finish_name, self.generate = finish_name, generate


def load_stubs():
    try:
        import grpc  # noqa: F401
    except ImportError as e:
        fail(f"{e}. Install grpcio and grpcio-tools (pip install grpcio grpcio-tools; on Debian: apt-get install "
             f"python3-grpcio python3-grpc-tools and run with /usr/bin/python3). Interpreter: {sys.executable}")
    out = tempfile.mkdtemp(prefix="grpcio-stubs-")
    try:
        from grpc_tools import protoc
    except ImportError:
        protoc = None
    if protoc is not None:
        rc = protoc.main(["protoc", "-I" + PROTO_ROOT, "--python_out=" + out, "--grpc_python_out=" + out,
                          *[os.path.join(PROTO_ROOT, p) for p in PROTOS]])
        if rc == 0:
            for package in ("cluster", "cluster/v1"):
                open(os.path.join(out, package, "__init__.py"), "a").close()
            sys.path.insert(0, out)
            from cluster.v1 import common_pb2, inference_pb2, inference_pb2_grpc
            return Stubs("grpc_tools (_pb2 + _pb2_grpc)", inference_pb2.GenerateRequest, common_pb2.SamplingParams,
                         common_pb2.StopConditions, common_pb2.FinishReason.Name,
                         lambda channel: inference_pb2_grpc.InferenceStub(channel).Generate)
        print("grpcio_generate: grpc_tools' bundled protoc cannot compile proto/ (it predates proto3 'optional', "
              "protoc >= 3.15); trying a newer protoc for a descriptor set", file=sys.stderr)
    return descriptor_stubs(out, protoc is None)


def newer_protoc():
    candidates = [os.environ.get("PROTOC"), shutil.which("protoc")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.nuget/packages/grpc.tools/*/tools/linux_x64/protoc")), reverse=True)
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def descriptor_stubs(out, no_grpc_tools):
    """Message classes built at run time from a descriptor set, and Generate as a plain grpcio unary_stream call."""
    protoc = newer_protoc()
    if protoc is None:
        fail(("grpc_tools is not installed" if no_grpc_tools else "grpc_tools' protoc is too old for proto/")
             + ", and no newer protoc was found ($PROTOC, PATH, or Grpc.Tools in ~/.nuget/packages). "
               "pip install grpcio-tools, or set PROTOC to a protoc >= 3.15.")
    descriptors = os.path.join(out, "inference.pb")
    result = subprocess.run([protoc, "-I" + PROTO_ROOT, "--include_imports", "--descriptor_set_out=" + descriptors,
                             *PROTOS], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        fail(f"{protoc} failed ({result.returncode}): {result.stderr.strip()}")
    import grpc
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    pool = descriptor_pool.DescriptorPool()
    with open(descriptors, "rb") as f:
        for file in descriptor_pb2.FileDescriptorSet.FromString(f.read()).file:
            pool.Add(file)
    factory = message_factory.MessageFactory(pool)

    def message(name):
        descriptor = pool.FindMessageTypeByName("cluster.v1." + name)
        get = getattr(message_factory, "GetMessageClass", None)  # protobuf >= 4.22; GetPrototype before
        return get(descriptor) if get else factory.GetPrototype(descriptor)

    request, response = message("GenerateRequest"), message("GenerateResponse")
    finish = pool.FindEnumTypeByName("cluster.v1.FinishReason")
    return Stubs(f"descriptor set from {protoc}", request, message("SamplingParams"), message("StopConditions"),
                 lambda value: finish.values_by_number[value].name,
                 lambda channel: channel.unary_stream("/cluster.v1.Inference/Generate",
                                                      request_serializer=request.SerializeToString,
                                                      response_deserializer=response.FromString))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051", help="router gRPC host:port (h2c)")
    parser.add_argument("--prompt", default="The cluster streams")
    parser.add_argument("--model", default="", help="model id; empty = the router's only model")
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=60.0, help="call deadline in seconds (sent as grpc-timeout)")
    args = parser.parse_args()

    stubs = load_stubs()
    import grpc
    request = stubs.GenerateRequest(
        model=args.model, text=args.prompt,
        sampling=stubs.SamplingParams(temperature=0.0),
        stop=stubs.StopConditions(max_tokens=args.max_tokens, ignore_eos=True))
    key = os.environ.get("CLUSTER_API_KEY")
    metadata = [("authorization", "Bearer " + key)] if key else []

    print(f"stubs: {stubs.how}", flush=True)
    print(f"grpcio {grpc.__version__} -> {args.target} cluster.v1.Inference/Generate "
          f"prompt={args.prompt!r} max_tokens={args.max_tokens}", flush=True)
    tokens = 0
    started = time.monotonic()
    first = None
    with grpc.insecure_channel(args.target) as channel:
        call = stubs.generate(channel)(request, timeout=args.timeout, metadata=metadata)
        try:
            for chunk in call:
                if chunk.token_ids and first is None:
                    first = time.monotonic() - started
                tokens += len(chunk.token_ids)
                print(f"chunk: ids={list(chunk.token_ids)} text={chunk.text!r}", flush=True)
                if chunk.finish_reason:
                    print(f"finish_reason={stubs.finish_name(chunk.finish_reason)} "
                          f"usage: prompt={chunk.usage.prompt_tokens} completion={chunk.usage.completion_tokens} "
                          f"total={chunk.usage.total_tokens}", flush=True)
        except grpc.RpcError:
            pass  # the status is printed below either way
        code, details = call.code(), call.details()
    elapsed = time.monotonic() - started
    print(f"status={code.name} details={details!r} tokens={tokens} "
          f"first_token_s={first if first is None else round(first, 3)} total_s={elapsed:.3f}", flush=True)
    return 0 if code == grpc.StatusCode.OK and tokens > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
