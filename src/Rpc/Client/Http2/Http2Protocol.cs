using System.Buffers.Binary;

namespace Cluster.Rpc.Client.Http2;

/// <summary>HTTP/2 frame types (RFC 9113 §6).</summary>
internal enum Http2FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

/// <summary>HTTP/2 error codes (RFC 9113 §7).</summary>
internal enum Http2ErrorCode : uint
{
    NoError = 0x0,
    ProtocolError = 0x1,
    InternalError = 0x2,
    FlowControlError = 0x3,
    SettingsTimeout = 0x4,
    StreamClosed = 0x5,
    FrameSizeError = 0x6,
    RefusedStream = 0x7,
    Cancel = 0x8,
    CompressionError = 0x9,
    ConnectError = 0xa,
    EnhanceYourCalm = 0xb,
    InadequateSecurity = 0xc,
    Http11Required = 0xd,
}

/// <summary>Constants of the HTTP/2 wire format used by the direct client transport.</summary>
internal static class Http2Protocol
{
    public const int FrameHeaderSize = 9;
    public const int DefaultMaxFrameSize = 16 * 1024;
    public const int MaxAllowedFrameSize = 16 * 1024 * 1024 - 1;
    public const int DefaultWindowSize = 65_535;
    public const int MaxWindowSize = int.MaxValue;

    public const byte FlagEndStream = 0x1;
    public const byte FlagAck = 0x1;
    public const byte FlagEndHeaders = 0x4;
    public const byte FlagPadded = 0x8;
    public const byte FlagPriority = 0x20;

    public const ushort SettingHeaderTableSize = 0x1;
    public const ushort SettingEnablePush = 0x2;
    public const ushort SettingMaxConcurrentStreams = 0x3;
    public const ushort SettingInitialWindowSize = 0x4;
    public const ushort SettingMaxFrameSize = 0x5;
    public const ushort SettingMaxHeaderListSize = 0x6;

    /// <summary>The client connection preface (RFC 9113 §3.4).</summary>
    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>Writes a 9-byte frame header.</summary>
    public static void WriteFrameHeader(Span<byte> destination, int length, Http2FrameType type, byte flags, int streamId)
    {
        destination[0] = (byte)(length >> 16);
        destination[1] = (byte)(length >> 8);
        destination[2] = (byte)length;
        destination[3] = (byte)type;
        destination[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)streamId & 0x7fffffffu);
    }

    /// <summary>Reads a 9-byte frame header (the reserved bit of the stream id is ignored).</summary>
    public static (int Length, Http2FrameType Type, byte Flags, int StreamId) ReadFrameHeader(ReadOnlySpan<byte> source) =>
        ((source[0] << 16) | (source[1] << 8) | source[2],
         (Http2FrameType)source[3],
         source[4],
         (int)(BinaryPrimitives.ReadUInt32BigEndian(source[5..]) & 0x7fffffffu));

    /// <summary>gRPC's mapping of an RST_STREAM / GOAWAY error code (as HttpClient's path maps HttpProtocolException).</summary>
    public static StatusCode ToStatusCode(Http2ErrorCode code) => code switch
    {
        Http2ErrorCode.RefusedStream => StatusCode.Unavailable,
        Http2ErrorCode.Cancel => StatusCode.Cancelled,
        Http2ErrorCode.EnhanceYourCalm => StatusCode.ResourceExhausted,
        Http2ErrorCode.InadequateSecurity => StatusCode.PermissionDenied,
        _ => StatusCode.Internal,
    };

    /// <summary>The name the RFC gives an error code, e.g. <c>CANCEL</c>.</summary>
    public static string Name(Http2ErrorCode code) => code switch
    {
        Http2ErrorCode.NoError => "NO_ERROR",
        Http2ErrorCode.ProtocolError => "PROTOCOL_ERROR",
        Http2ErrorCode.InternalError => "INTERNAL_ERROR",
        Http2ErrorCode.FlowControlError => "FLOW_CONTROL_ERROR",
        Http2ErrorCode.SettingsTimeout => "SETTINGS_TIMEOUT",
        Http2ErrorCode.StreamClosed => "STREAM_CLOSED",
        Http2ErrorCode.FrameSizeError => "FRAME_SIZE_ERROR",
        Http2ErrorCode.RefusedStream => "REFUSED_STREAM",
        Http2ErrorCode.Cancel => "CANCEL",
        Http2ErrorCode.CompressionError => "COMPRESSION_ERROR",
        Http2ErrorCode.ConnectError => "CONNECT_ERROR",
        Http2ErrorCode.EnhanceYourCalm => "ENHANCE_YOUR_CALM",
        Http2ErrorCode.InadequateSecurity => "INADEQUATE_SECURITY",
        Http2ErrorCode.Http11Required => "HTTP_1_1_REQUIRED",
        _ => "UNKNOWN",
    };
}
