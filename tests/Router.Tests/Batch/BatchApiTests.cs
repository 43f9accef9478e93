using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cluster.Router.Tests.Api.Infrastructure;

namespace Cluster.Router.Tests.Batch;

/// <summary>The Batch API of an in-process router over the fake coordinator, stored in a temporary folder.</summary>
public sealed class BatchApiTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("batch-api-test-");
    private RouterHarness _router = null!;

    public async Task InitializeAsync() =>
        _router = await RouterHarness.StartAsync(requireKey: true, extraArgs: [$"--Batch:StorageDirectory={_dir.FullName}", "--Batch:MaxFileBytes=20000"]);

    public async Task DisposeAsync()
    {
        await _router.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    internal static string Line(string customId, string url, string body) =>
        $$"""{"custom_id":"{{customId}}","method":"POST","url":"{{url}}","body":{{body}}}""";

    internal static async Task<JsonElement> UploadAsync(HttpClient http, string content, string purpose = "batch", HttpStatusCode expect = HttpStatusCode.OK)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(purpose), "purpose");
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(content));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", "input.jsonl");
        using var response = await http.PostAsync("/v1/files", form);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        Assert.True(expect == response.StatusCode, $"{response.StatusCode}: {body}");
        return body;
    }

    internal static async Task<(HttpStatusCode, JsonElement)> SendAsync(HttpClient http, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 && text[0] == '{' ? JsonDocument.Parse(text).RootElement.Clone() : JsonSerializer.SerializeToElement(text));
    }

    internal static async Task<JsonElement> WaitFinalAsync(HttpClient http, string id, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var (_, batch) = await SendAsync(http, HttpMethod.Get, $"/v1/batches/{id}");
            if (batch.Str("status") is "completed" or "failed" or "cancelled" or "expired")
            {
                return batch;
            }

            await Task.Delay(50, deadline.Token); // bounded by the deadline
        }
    }

    internal static async Task<List<JsonElement>> LinesAsync(HttpClient http, JsonElement fileId)
    {
        if (fileId.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        var text = await http.GetStringAsync($"/v1/files/{fileId.GetString()}/content");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    [Fact]
    public async Task Batch_GoodAndMalformedLines_OutputInOpenAiFormat_ErrorsOnePerBadLine_BatchCompletes()
    {
        var chat = "/v1/chat/completions";
        var input = string.Join('\n',
            Line("a", chat, """{"model":"tiny","messages":[{"role":"user","content":"Hi"}],"max_tokens":5}"""),
            "{broken",
            Line("a", chat, """{"model":"tiny","messages":[]}"""),
            Line("c", "/v1/completions", """{"model":"tiny","prompt":"x"}"""),
            Line("d", chat, """{"model":"tiny","messages":[{"role":"user","content":"Hi"}],"temperature":-3}"""),
            Line("e", chat, """{"model":"tiny","messages":[{"role":"user","content":"Hi"}],"max_tokens":3}"""));
        var file = await UploadAsync(_router.Http, input);
        Assert.Equal("file", file.Str("object"));
        Assert.Equal("batch", file.Str("purpose"));

        var (status, created) = await SendAsync(_router.Http, HttpMethod.Post, "/v1/batches",
            $$$"""{"input_file_id":"{{{file.Str("id")}}}","endpoint":"{{{chat}}}","completion_window":"24h","metadata":{"k":"v"}}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("batch", created.Str("object"));
        Assert.Equal(6, created.GetProperty("request_counts").Int("total"));

        var batch = await WaitFinalAsync(_router.Http, created.Str("id"), TimeSpan.FromSeconds(30));

        Assert.Equal("completed", batch.Str("status"));
        Assert.Equal(2, batch.GetProperty("request_counts").Int("completed"));
        Assert.Equal(4, batch.GetProperty("request_counts").Int("failed"));
        Assert.Equal("v", batch.GetProperty("metadata").Str("k"));
        var output = await LinesAsync(_router.Http, batch.GetProperty("output_file_id"));
        Assert.Equal(["a", "e"], output.Select(l => l.Str("custom_id")));
        var response = output[0].GetProperty("response");
        Assert.Equal(200, response.Int("status_code"));
        Assert.Equal("chat.completion", response.GetProperty("body").Str("object"));
        Assert.Equal(_router.Coordinator.Output[..5], response.GetProperty("body").GetProperty("choices")[0].GetProperty("message").Str("content"));
        Assert.Equal(JsonValueKind.Null, output[0].GetProperty("error").ValueKind);
        Assert.StartsWith("batch_req_", output[0].Str("id"), StringComparison.Ordinal);

        var errors = await LinesAsync(_router.Http, batch.GetProperty("error_file_id"));
        Assert.Equal(["invalid_json", "duplicate_custom_id", "invalid_url"], errors.Take(3).Select(e => e.GetProperty("error").Str("code")));
        var invalid = errors[3];
        Assert.Equal("d", invalid.Str("custom_id"));
        Assert.Equal(400, invalid.GetProperty("response").Int("status_code"));
        Assert.Contains("temperature", invalid.GetProperty("error").Str("message"), StringComparison.Ordinal);
        Assert.Equal(2, _router.Coordinator.Requests.Count);
        Assert.All(_router.Coordinator.Requests, r => Assert.Equal("batch", r.Api));
        Assert.All(_router.Coordinator.Requests, r => Assert.Equal(Cluster.Contracts.V1.RequestPriority.Low, r.Priority));   // yields to online work on the workers
    }

    [Fact]
    public async Task Create_UnsupportedValues_RefusedByName()
    {
        var file = await UploadAsync(_router.Http, Line("a", "/v1/completions", """{"model":"tiny","prompt":"x"}"""));
        var id = file.Str("id");
        foreach (var (json, param, text) in new[]
                 {
                     ($$"""{"input_file_id":"{{id}}","endpoint":"/v1/embeddings","completion_window":"24h"}""", "endpoint", "'/v1/embeddings' is not supported"),
                     ($$"""{"input_file_id":"{{id}}","endpoint":"/v1/completions","completion_window":"1h"}""", "completion_window", "'1h' is not supported"),
                     ("""{"endpoint":"/v1/completions","completion_window":"24h"}""", "input_file_id", "input_file_id is missing"),
                     ($$$"""{"input_file_id":"{{{id}}}","endpoint":"/v1/completions","completion_window":"24h","metadata":{"scheduling":"fast"}}""", "metadata", "'fast' is not a mode"),
                 })
        {
            var (status, body) = await SendAsync(_router.Http, HttpMethod.Post, "/v1/batches", json);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal(param, body.GetProperty("error").Str("param"));
            Assert.Contains(text, body.GetProperty("error").Str("message"), StringComparison.Ordinal);
        }

        var (missing, error) = await SendAsync(_router.Http, HttpMethod.Post, "/v1/batches",
            """{"input_file_id":"file-000000000000000000000000","endpoint":"/v1/completions","completion_window":"24h"}""");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal("not_found", error.GetProperty("error").Str("code"));
    }

    [Fact]
    public async Task Upload_WrongPurposeTooLargeOrNoKey_ClearErrors()
    {
        var purpose = await UploadAsync(_router.Http, "{}", purpose: "fine-tune", expect: HttpStatusCode.BadRequest);
        Assert.Contains("purpose 'fine-tune' is not supported", purpose.GetProperty("error").Str("message"), StringComparison.Ordinal);

        var tooLarge = await UploadAsync(_router.Http, new string('x', 30_000), expect: HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("Batch:MaxFileBytes", tooLarge.GetProperty("error").Str("message"), StringComparison.Ordinal);

        using var anonymous = new HttpClient { BaseAddress = _router.HttpAddress };
        using var response = await anonymous.GetAsync("/v1/batches");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var (notFound, _) = await SendAsync(_router.Http, HttpMethod.Get, "/v1/files/file-../../x");
        Assert.Equal(HttpStatusCode.NotFound, notFound);
    }

    [Fact]
    public async Task Cancel_RunningBatch_StopsNewWork_CancelsInFlight_Cancelled()
    {
        _router.Coordinator.HangAfterTokens = 3;
        var input = string.Join('\n', Enumerable.Range(0, 6).Select(i => Line($"r{i}", "/v1/completions", $$"""{"model":"tiny","prompt":"p{{i}}","max_tokens":8}""")));
        var file = await UploadAsync(_router.Http, input);
        var (_, created) = await SendAsync(_router.Http, HttpMethod.Post, "/v1/batches",
            $$"""{"input_file_id":"{{file.Str("id")}}","endpoint":"/v1/completions","completion_window":"24h"}""");
        await _router.Coordinator.Hanging.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var (status, cancelling) = await SendAsync(_router.Http, HttpMethod.Post, $"/v1/batches/{created.Str("id")}/cancel");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("cancelling", cancelling.Str("status"));
        var batch = await WaitFinalAsync(_router.Http, created.Str("id"), TimeSpan.FromSeconds(30));

        Assert.Equal("cancelled", batch.Str("status"));
        Assert.True(batch.GetProperty("cancelled_at").GetInt64() > 0);
        await _router.Coordinator.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(_router.Coordinator.Requests.Count < 6, $"{_router.Coordinator.Requests.Count} requests started after the cancel");
        var (again, conflict) = await SendAsync(_router.Http, HttpMethod.Post, $"/v1/batches/{created.Str("id")}/cancel");
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Contains("is cancelled", conflict.GetProperty("error").Str("message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_NewestFirst_LimitAndAfterPage()
    {
        var file = await UploadAsync(_router.Http, Line("a", "/v1/completions", """{"model":"tiny","prompt":"x","max_tokens":1}"""));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (_, created) = await SendAsync(_router.Http, HttpMethod.Post, "/v1/batches",
                $$"""{"input_file_id":"{{file.Str("id")}}","endpoint":"/v1/completions","completion_window":"24h"}""");
            ids.Add(created.Str("id"));
        }

        var (_, first) = await SendAsync(_router.Http, HttpMethod.Get, "/v1/batches?limit=2");
        var firstIds = first.GetProperty("data").EnumerateArray().Select(b => b.Str("id")).ToList();
        Assert.Equal(2, firstIds.Count);
        Assert.True(first.GetProperty("has_more").GetBoolean());
        var (_, second) = await SendAsync(_router.Http, HttpMethod.Get, $"/v1/batches?limit=2&after={first.Str("last_id")}");
        var all = firstIds.Concat(second.GetProperty("data").EnumerateArray().Select(b => b.Str("id"))).ToList();
        Assert.Equal(ids.Order(), all.Order());
        Assert.False(second.GetProperty("has_more").GetBoolean());
        var (bad, error) = await SendAsync(_router.Http, HttpMethod.Get, "/v1/batches?limit=500");
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Equal("limit", error.GetProperty("error").Str("param"));
    }
}
