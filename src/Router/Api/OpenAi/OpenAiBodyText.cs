using System.Text;
using System.Text.Json;

namespace Cluster.Router.Api.OpenAi;

/// <summary>
/// Checks that every string of a JSON body (property names and values) is valid text before it is deserialized:
/// raw bytes that are not UTF-8 and escaped lone surrogates (<c>"\ud800"</c>) are refused with a 400 naming the field
/// (e.g. <c>messages[1].content</c>), instead of failing later when the string is read.
/// </summary>
internal static class OpenAiBodyText
{
    public static void Check(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        var path = new List<Segment>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        path[^1] = path[^1] with { Name = null };
                        path[^1] = path[^1] with { Name = Text(ref reader, path, propertyName: true) };
                        continue;
                    case JsonTokenType.String:
                        Text(ref reader, path, propertyName: false);
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        Advance(path);
                        path.Add(new Segment(reader.TokenType == JsonTokenType.StartArray, -1, null));
                        continue;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        continue;
                }

                Advance(path);
            }
        }
        catch (JsonException e)
        {
            var where = Path(path);
            throw new ApiException(ApiErrorKind.InvalidArgument,
                $"The request body is not valid JSON{(where is null ? "" : $" at '{where}'")}: {e.Message.Split('\n')[0].Trim()}", where);
        }
    }

    private static string Text(ref Utf8JsonReader reader, List<Segment> path, bool propertyName)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or DecoderFallbackException)
        {
            if (!propertyName)
            {
                Advance(path);
            }

            var where = Path(path) ?? "the request body";
            var what = propertyName ? $"a property name in '{where}'" : $"'{where}'";
            throw ApiException.Invalid(where,
                $"{what} is not valid text: it holds bytes that are not UTF-8 or a lone UTF-16 surrogate (such as \\ud800). Send valid Unicode.");
        }
    }

    /// <summary>Counts one more element when the current container is an array (a value just started in it).</summary>
    private static void Advance(List<Segment> path)
    {
        if (path.Count > 0 && path[^1].IsArray)
        {
            path[^1] = path[^1] with { Index = path[^1].Index + 1 };
        }
    }

    private static string? Path(List<Segment> path)
    {
        var text = new StringBuilder();
        foreach (var s in path)
        {
            if (s.IsArray)
            {
                if (s.Index >= 0)
                {
                    text.Append('[').Append(s.Index).Append(']');
                }
            }
            else if (s.Name is not null)
            {
                text.Append(text.Length > 0 ? "." : "").Append(s.Name);
            }
        }

        return text.Length > 0 ? text.ToString() : null;
    }

    private sealed record Segment(bool IsArray, int Index, string? Name);
}
