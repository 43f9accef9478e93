using Cluster.Contracts.V1;
using Grpc.Core;
using Google.Protobuf;

namespace Cluster.Contracts.Tests;

public sealed class TypedBindingTests
{
    private sealed class EchoWorker : Worker.WorkerBase
    {
        public override Task<ReserveResponse> Reserve(ReserveRequest request, ServerCallContext context) =>
            Task.FromResult(new ReserveResponse { Ticket = "t-" + request.RequestId, NumBlocks = (request.PromptTokens + 15) / 16, Layout = request.Layout });

        public override async Task Decode(DecodeRequest request, IServerStreamWriter<DecodeResponse> responseStream, ServerCallContext context)
        {
            foreach (var id in request.PromptTokenIds)
            {
                await responseStream.WriteAsync(new DecodeResponse { TokenIds = { id + 1 } }, context.CancellationToken);
            }

            await responseStream.WriteAsync(new DecodeResponse { FinishReason = FinishReason.Length }, context.CancellationToken);
        }
    }

    private sealed class SummingKvTransfer : KvTransfer.KvTransferBase
    {
        public override async Task<PushResult> Push(IAsyncStreamReader<KvFrame> requestStream, ServerCallContext context)
        {
            var result = new PushResult();
            await foreach (var frame in requestStream.ReadAllAsync(context.CancellationToken))
            {
                if (frame.FrameCase == KvFrame.FrameOneofCase.Chunk)
                {
                    result.CommittedChunks++;
                    result.CommittedBytes += (ulong)frame.Chunk.Data.Length;
                    result.NextSequence = frame.Chunk.Sequence + 1;
                }
            }

            return result;
        }
    }

    [Fact]
    public async Task Unary_Reserve_RoundTripsMessages()
    {
        await using var server = await LoopbackServer.StartAsync(new EchoWorker());
        var client = new Worker.WorkerClient(server.Channel);
        var layout = new KvLayout { NumLayers = 2, NumKvHeads = 4, HeadDim = 64, Dtype = KvDtype.Bfloat16, BlockSize = 16 };
        var response = await client.ReserveAsync(new ReserveRequest { RequestId = "r1", PromptTokens = 33, Layout = layout });
        Assert.Equal("t-r1", response.Ticket);
        Assert.Equal(3u, response.NumBlocks);
        Assert.Equal(layout, response.Layout);
    }

    [Fact]
    public async Task ServerStreaming_Decode_StreamsEveryMessageThenEnds()
    {
        await using var server = await LoopbackServer.StartAsync(new EchoWorker());
        var client = new Worker.WorkerClient(server.Channel);
        using var call = client.Decode(new DecodeRequest { PromptTokenIds = { 10, 20, 30 } });
        var received = new List<DecodeResponse>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            received.Add(message);
        }

        Assert.Equal([11u, 21u, 31u], received.Take(3).Select(m => m.TokenIds.Single()));
        Assert.Equal(FinishReason.Length, received[^1].FinishReason);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ClientStreaming_PushOfLargeChunks_CommitsAllBytes()
    {
        await using var server = await LoopbackServer.StartAsync(new SummingKvTransfer());
        var client = new KvTransfer.KvTransferClient(server.Channel);
        using var call = client.Push();
        await call.RequestStream.WriteAsync(new KvFrame { Header = new KvHeader { Ticket = "t" } });
        var data = ByteString.CopyFrom(new byte[1024 * 1024]);
        for (uint i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(new KvFrame { Chunk = new KvChunk { Sequence = i, Data = data } });
        }

        await call.RequestStream.CompleteAsync();
        var result = await call.ResponseAsync;
        Assert.Equal(3u, result.CommittedChunks);
        Assert.Equal(3ul * 1024 * 1024, result.CommittedBytes);
        Assert.Equal(3u, result.NextSequence);
    }

    [Fact]
    public async Task MethodNotOverridden_AnswersUnimplementedNamingTheMethod()
    {
        await using var server = await LoopbackServer.StartAsync(new EchoWorker());
        var client = new Worker.WorkerClient(server.Channel);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.StatusAsync(new StatusRequest()));
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    [Fact]
    public void ProtobufMarshaller_RoundTrip_PreservesMessage()
    {
        var marshaller = ProtobufMarshaller.For(GenerateRequest.Parser);
        var request = new GenerateRequest { Model = "m", Text = "hello", Sampling = new SamplingParams { Temperature = 0.5f, Seed = 7 } };
        var bytes = new ArrayBufferSerializationContext();
        marshaller.ContextualSerializer(request, bytes);
        var parsed = marshaller.ContextualDeserializer(new ArrayDeserializationContext(bytes.Payload));
        Assert.Equal(request, parsed);
    }

    private sealed class ArrayBufferSerializationContext : SerializationContext
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _writer = new();

        public byte[] Payload { get; private set; } = [];

        public override System.Buffers.IBufferWriter<byte> GetBufferWriter() => _writer;

        public override void Complete() => Payload = _writer.WrittenSpan.ToArray();
    }

    private sealed class ArrayDeserializationContext(byte[] payload) : DeserializationContext
    {
        public override int PayloadLength => payload.Length;

        public override System.Buffers.ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(payload);
    }
}
