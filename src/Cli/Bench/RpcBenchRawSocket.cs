using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Cluster.Cli.Bench;

/// <summary>
/// The bound: the same bytes copied over plain loopback TCP sockets in chunks of the message size, with no
/// framing or protocol, one connection per stream. The receiver reads into one reused buffer.
/// </summary>
internal static class RpcBenchRawSocket
{
    public static async Task<long> RunAsync(int connections, long bytesPerConnection, int chunkSize, CancellationToken cancellationToken)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(connections);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        var receivers = Enumerable.Range(0, connections).Select(_ => ReceiveAsync(listener, chunkSize, cancellationToken)).ToArray();
        var senders = Enumerable.Range(0, connections).Select(_ => SendAsync(endpoint, bytesPerConnection, chunkSize, cancellationToken)).ToArray();
        await Task.WhenAll(senders);
        var received = await Task.WhenAll(receivers);
        return received.Sum();
    }

    private static async Task SendAsync(IPEndPoint endpoint, long bytes, int chunkSize, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint, cancellationToken);
        var chunk = new byte[chunkSize];
        Random.Shared.NextBytes(chunk);
        var header = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(header, bytes);
        await socket.SendAsync(header, SocketFlags.None, cancellationToken);
        for (long sent = 0; sent < bytes; sent += chunkSize)
        {
            var n = (int)Math.Min(chunkSize, bytes - sent);
            await socket.SendAsync(chunk.AsMemory(0, n), SocketFlags.None, cancellationToken);
        }

        // Wait for the receiver's one-byte acknowledgement: the bytes have been read, not just buffered.
        await socket.ReceiveAsync(new byte[1], SocketFlags.None, cancellationToken);
    }

    private static async Task<long> ReceiveAsync(Socket listener, int chunkSize, CancellationToken cancellationToken)
    {
        using var socket = await listener.AcceptAsync(cancellationToken);
        var buffer = new byte[chunkSize];
        var header = new byte[8];
        for (var got = 0; got < 8;)
        {
            got += await socket.ReceiveAsync(header.AsMemory(got), SocketFlags.None, cancellationToken);
        }

        var expected = BinaryPrimitives.ReadInt64LittleEndian(header);
        long received = 0;
        while (received < expected)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new IOException($"Connection closed after {received} of {expected} bytes.");
            }

            received += n;
        }

        await socket.SendAsync(new byte[] { 1 }, SocketFlags.None, cancellationToken);
        return received;
    }
}
