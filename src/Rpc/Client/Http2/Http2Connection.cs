using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;

namespace Cluster.Rpc.Client.Http2;

/// <summary>
/// A client HTTP/2 connection of its own (no HttpClient): h2c with prior knowledge or TLS with ALPN h2. Streams are
/// multiplexed; frames are written under one write lock, each DATA frame as large as the peer's
/// SETTINGS_MAX_FRAME_SIZE and both flow-control windows allow; one read loop dispatches frames to streams.
/// </summary>
internal sealed partial class Http2Connection : IAsyncDisposable
{
    /// <summary>Our SETTINGS_INITIAL_WINDOW_SIZE: responses of the calls this transport carries are small.</summary>
    public const int StreamReceiveWindow = 1024 * 1024;

    /// <summary>Our connection receive window, raised from 65,535 right after the preface.</summary>
    public const int ConnectionReceiveWindow = 16 * 1024 * 1024;

    /// <summary>How long a new connection waits for the server's first SETTINGS frame.</summary>
    public static readonly TimeSpan SettingsTimeout = TimeSpan.FromSeconds(10);

    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Http2Stream> _streams = [];
    private readonly HpackDecoder _decoder = new();
    private readonly TaskCompletionSource _settingsReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closed = new();
    // A frame's header and the small pieces of its payload that go out with it (one socket write).
    private readonly byte[] _frameHeader = new byte[256];
    private TaskCompletionSource _windowGrew = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _readLoop = Task.CompletedTask;
    private int _nextStreamId = 1;
    private long _connectionSendWindow = Http2Protocol.DefaultWindowSize;
    private int _connectionReceiveWindow = ConnectionReceiveWindow;
    private int _connectionUnacknowledged;
    private int _peerInitialWindow = Http2Protocol.DefaultWindowSize;
    private int _peerMaxFrameSize = Http2Protocol.DefaultMaxFrameSize;
    private int _peerMaxConcurrentStreams = int.MaxValue;
    private bool _goingAway;
    private Status? _failure;

    private Http2Connection(Stream stream)
    {
        _stream = stream;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
    }

    /// <summary>Whether a new stream may start here (alive, no GOAWAY, under the peer's concurrency limit).</summary>
    public bool CanOpenStream
    {
        get
        {
            lock (_lock)
            {
                return _failure is null && !_goingAway && _streams.Count < _peerMaxConcurrentStreams && _nextStreamId < int.MaxValue - 2;
            }
        }
    }

    /// <summary>Whether the connection has failed or was closed (its read loop ended).</summary>
    public bool IsFailed
    {
        get
        {
            lock (_lock)
            {
                return _failure is not null;
            }
        }
    }

    /// <summary>The peer's SETTINGS_MAX_FRAME_SIZE (16,384 until its SETTINGS arrive).</summary>
    public int PeerMaxFrameSize => Volatile.Read(ref _peerMaxFrameSize);

    /// <summary>Connects, sends the preface and our SETTINGS, and waits for the server's SETTINGS.</summary>
    public static async Task<Http2Connection> ConnectAsync(Uri address, RpcChannelOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream stream;
        try
        {
            await socket.ConnectAsync(address.IdnHost, address.Port, cancellationToken);
            stream = new NetworkStream(socket, ownsSocket: true);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            socket.Dispose();
            throw new RpcException(new Status(StatusCode.Unavailable, $"Error connecting to the server: {ex.Message} ({address.IdnHost}:{address.Port})"));
        }

        if (address.Scheme == Uri.UriSchemeHttps)
        {
            stream = await AuthenticateAsync(stream, address, options, cancellationToken);
        }

        var connection = new Http2Connection(stream);
        try
        {
            await connection.StartAsync(cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return connection;
    }

    /// <summary>Closes the socket; streams still open fail with UNAVAILABLE.</summary>
    public async ValueTask DisposeAsync()
    {
        Fail(new Status(StatusCode.Unavailable, "The HTTP/2 connection was closed by the client."));
        await _closed.CancelAsync();
        await _stream.DisposeAsync();
        try
        {
            await _readLoop;
        }
        catch (Exception)
        {
            // The loop records its own failure.
        }

        await _reader.CompleteAsync();
        _closed.Dispose();
    }

    private static async Task<Stream> AuthenticateAsync(Stream inner, Uri address, RpcChannelOptions options, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = address.IdnHost,
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                RemoteCertificateValidationCallback = options.ServerCertificateValidation,
            }, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
        {
            await ssl.DisposeAsync();
            throw new RpcException(new Status(StatusCode.Unavailable, "Error connecting to the server: TLS handshake failed: " + ex.Message));
        }

        if (ssl.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
        {
            await ssl.DisposeAsync();
            throw new RpcException(new Status(StatusCode.Unavailable, $"Error connecting to the server: {address.Authority} did not negotiate HTTP/2 (ALPN h2) over TLS."));
        }

        return ssl;
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var preface = new byte[Http2Protocol.Preface.Length + Http2Protocol.FrameHeaderSize + 12 + Http2Protocol.FrameHeaderSize + 4];
        Http2Protocol.Preface.CopyTo(preface);
        var at = Http2Protocol.Preface.Length;
        Http2Protocol.WriteFrameHeader(preface.AsSpan(at), 12, Http2FrameType.Settings, 0, 0);
        at += Http2Protocol.FrameHeaderSize;
        WriteSetting(preface.AsSpan(at), Http2Protocol.SettingEnablePush, 0);
        WriteSetting(preface.AsSpan(at + 6), Http2Protocol.SettingInitialWindowSize, StreamReceiveWindow);
        at += 12;
        Http2Protocol.WriteFrameHeader(preface.AsSpan(at), 4, Http2FrameType.WindowUpdate, 0, 0);
        BinaryPrimitives.WriteUInt32BigEndian(preface.AsSpan(at + Http2Protocol.FrameHeaderSize), ConnectionReceiveWindow - Http2Protocol.DefaultWindowSize);
        try
        {
            await _stream.WriteAsync(preface, cancellationToken);
        }
        catch (IOException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "Error connecting to the server: " + ex.Message));
        }

        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
        try
        {
            await _settingsReceived.Task.WaitAsync(SettingsTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"Error connecting to the server: no HTTP/2 SETTINGS within {SettingsTimeout.TotalSeconds:F0} s of the preface (is it an h2c/h2 gRPC server?)."));
        }
    }

    private static void WriteSetting(Span<byte> destination, ushort id, int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)value);
    }

    /// <summary>Records the connection's failure once and aborts every open stream with it.</summary>
    private void Fail(Status status)
    {
        List<Http2Stream> open;
        lock (_lock)
        {
            _failure ??= status;
            open = [.. _streams.Values];
            _streams.Clear();
            foreach (var stream in open)
            {
                stream.Aborted ??= _failure;
            }
        }

        _settingsReceived.TrySetException(new RpcException(status));
        _ = _settingsReceived.Task.Exception;
        SignalWindow();
        foreach (var stream in open)
        {
            stream.Handler.OnAborted(stream.Aborted!.Value);
        }
    }

    private void SignalWindow()
    {
        TaskCompletionSource grew;
        lock (_lock)
        {
            grew = _windowGrew;
            _windowGrew = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        grew.TrySetResult();
    }
}
