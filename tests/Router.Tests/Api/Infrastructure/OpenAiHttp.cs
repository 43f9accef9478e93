using System.Net;
using System.Text;
using System.Text.Json;

namespace Cluster.Router.Tests.Api.Infrastructure;

/// <summary>Raw HTTP calls to the OpenAI endpoints and SSE parsing (what a client sees on the wire).</summary>
internal static class OpenAiHttp
{
    public static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostJsonAsync(HttpClient http, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    /// <summary>POSTs a streaming request; returns the JSON of each <c>data:</c> event and whether <c>[DONE]</c> ended it.</summary>
    public static async Task<(List<JsonElement> Events, bool Done, HttpResponseMessage Response)> PostSseAsync(HttpClient http, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        var events = new List<JsonElement>();
        var done = false;
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.StartsWith("data: ", block, StringComparison.Ordinal);
            var data = block["data: ".Length..];
            Assert.False(done, "an event came after [DONE]");
            if (data == "[DONE]")
            {
                done = true;
                continue;
            }

            events.Add(JsonDocument.Parse(data).RootElement.Clone());
        }

        return (events, done, response);
    }

    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;

    public static int Int(this JsonElement e, string name) => e.GetProperty(name).GetInt32();
}
