using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client;

internal sealed partial class ClientCall<TRequest, TResponse>
{
    private const int ResponseBufferSize = 256 * 1024;

    private HttpRequestMessage CreateRequest(HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = request.Headers;
        headers.TryAddWithoutValidation("te", "trailers");
        headers.TryAddWithoutValidation("user-agent", "cluster-rpc/1.0");
        headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.SupportedAcceptEncoding);
        if (_options.Deadline is { } deadline)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(deadline.ToUniversalTime() - DateTime.UtcNow));
        }

        AddMetadata(headers, _channel.Options.DefaultHeaders);
        AddMetadata(headers, _options.Headers);
        return request;
    }

    private static void AddMetadata(System.Net.Http.Headers.HttpRequestHeaders headers, Metadata? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (var entry in metadata)
        {
            headers.TryAddWithoutValidation(entry.Key, MetadataCodec.ToHeaderValue(entry));
        }
    }

    /// <summary>Sends the request and validates the response headers; null when the call already finished.</summary>
    private async Task<HttpResponseMessage?> SendAsync(HttpRequestMessage request)
    {
        HttpResponseMessage response;
        try
        {
            response = await _channel.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _callCts.Token);
        }
        catch (Exception ex)
        {
            Finish(StatusFromException(ex), null);
            return null;
        }

        _response = response;
        var headers = ReadMetadata(response.Headers, response.Content.Headers);
        if (TryGetHeaderStatus(response, out var headerStatus))
        {
            // Trailers-Only (or an HTTP error that carries a gRPC status): the status is in the headers.
            _headersTcs.TrySetResult(headers);
            Finish(headerStatus, headers);
            response.Dispose();
            return null;
        }

        var invalid = ValidateResponse(response);
        if (invalid is { } status)
        {
            Finish(status, null);
            response.Dispose();
            CancelTransport();
            return null;
        }

        _headersTcs.TrySetResult(headers);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(_callCts.Token);
            _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ResponseBufferSize, minimumReadSize: ResponseBufferSize / 4));
        }
        catch (Exception ex)
        {
            Finish(StatusFromException(ex), null);
            response.Dispose();
            return null;
        }

        return response;
    }

    private static bool TryGetHeaderStatus(HttpResponseMessage response, out Status status)
    {
        status = default;
        if (!response.Headers.TryGetValues(GrpcProtocol.StatusTrailer, out var values))
        {
            return false;
        }

        status = ParseStatus(values.FirstOrDefault(), GetSingle(response.Headers, GrpcProtocol.MessageTrailer));
        return true;
    }

    private Status? ValidateResponse(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return new Status(StatusMapping.FromHttpStatus(response.StatusCode), $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}");
        }

        var contentType = response.Content.Headers.ContentType?.ToString();
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            return new Status(StatusCode.Unknown, $"Bad gRPC response. Invalid content-type value: {contentType}");
        }

        var encoding = GetSingle(response.Headers, GrpcProtocol.EncodingHeader);
        if (encoding is not null && encoding != GrpcProtocol.Identity && encoding != GrpcProtocol.Gzip)
        {
            return new Status(StatusCode.Internal, $"Unsupported grpc-encoding value '{encoding}' in response.");
        }

        _responseEncoding = encoding;
        return null;
    }

    internal static Status ParseStatus(string? code, string? message)
    {
        var detail = message is null ? string.Empty : PercentEncoding.Decode(message);
        if (!int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > (int)StatusCode.Unauthenticated)
        {
            return new Status(StatusCode.Unknown, $"Invalid grpc-status value '{code}'. {detail}".TrimEnd());
        }

        return new Status((StatusCode)value, detail);
    }

    private static string? GetSingle(System.Net.Http.Headers.HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static Metadata ReadMetadata(params System.Net.Http.Headers.HttpHeaders[] all)
    {
        var metadata = new Metadata();
        foreach (var headers in all)
        {
            foreach (var header in headers.NonValidated)
            {
                MetadataCodec.AddHeader(metadata, header.Key, header.Value);
            }
        }

        return metadata;
    }
}
