using System.Text;
using System.Text.Json;

namespace Cluster.Router.Batch;

/// <summary>The output and error file lines, in OpenAI's format.</summary>
public static class BatchLines
{
    /// <summary><c>{"id","custom_id","response":{"status_code","request_id","body"},"error":null}</c>.</summary>
    public static string Output(string id, string customId, int statusCode, string requestId, string body) =>
        Write(w =>
        {
            w.WriteString("id", id);
            w.WriteString("custom_id", customId);
            w.WriteStartObject("response");
            w.WriteNumber("status_code", statusCode);
            w.WriteString("request_id", requestId);
            w.WritePropertyName("body");
            w.WriteRawValue(body);
            w.WriteEndObject();
            w.WriteNull("error");
        });

    /// <summary>
    /// An error line: <c>{"id","custom_id","response":null|{status_code,request_id,body},"error":{"code","message"}}</c>;
    /// the response is there when the request ran and the cluster answered with an error (its OpenAI error body).
    /// </summary>
    public static string Error(string id, string? customId, string code, string message, int? statusCode = null, string? body = null) =>
        Write(w =>
        {
            w.WriteString("id", id);
            if (customId is null)
            {
                w.WriteNull("custom_id");
            }
            else
            {
                w.WriteString("custom_id", customId);
            }

            if (statusCode is { } status && body is not null)
            {
                w.WriteStartObject("response");
                w.WriteNumber("status_code", status);
                w.WriteString("request_id", id);
                w.WritePropertyName("body");
                w.WriteRawValue(body);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("response");
            }

            w.WriteStartObject("error");
            w.WriteString("code", code);
            w.WriteString("message", message);
            w.WriteEndObject();
        });

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
