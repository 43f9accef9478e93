using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Cluster.Router.Tests.Api.Infrastructure;

namespace Cluster.Router.Tests.Api.Fuzz;

/// <summary>
/// 10,000 random and mutated bodies through the real HTTP pipeline (router + fake coordinator): none may get a 5xx
/// or an error message naming a .NET type, and the router still serves a valid request afterwards.
/// </summary>
public sealed class OpenAiBodyFuzzTests
{
    private const int Inputs = 10_000;

    [Fact]
    public async Task Post_RandomAndMutatedBodies_NeverServerErrorAndRouterStaysUp()
    {
        var seed = FuzzSeed.Get();
        await using var router = await RouterHarness.StartAsync();
        var failures = new ConcurrentBag<string>();
        var seen = new ConcurrentDictionary<HttpStatusCode, int>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = 8 };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await Parallel.ForEachAsync(Enumerable.Range(0, Inputs), deadline.Token, async (i, ct) =>
        {
            var chat = i % 2 == 0;
            var body = new JsonBodyMutator(FuzzSeed.For(seed, i)).Next(chat);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await router.Http.PostAsync(chat ? "/v1/chat/completions" : "/v1/completions", content, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            seen.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
            if ((int)response.StatusCode >= 500 || (response.StatusCode != HttpStatusCode.OK && (text.Contains("System.", StringComparison.Ordinal) || text.Contains('`', StringComparison.Ordinal))))
            {
                failures.Add($"input {i}: {(int)response.StatusCode} {Shorten(text)} for body {Shorten(Convert.ToBase64String(body))} (base64)");
            }
        });

        Assert.True(failures.IsEmpty, $"ROUTER_FUZZ_SEED={seed}: {failures.Count} failures, e.g.\n{string.Join("\n", failures.Take(5))}");
        Assert.Equal(Inputs, seen.Values.Sum());
        Assert.True(seen.GetValueOrDefault(HttpStatusCode.OK) > Inputs / 100 && seen.GetValueOrDefault(HttpStatusCode.BadRequest) > Inputs / 10,
            $"ROUTER_FUZZ_SEED={seed}: the inputs should mix served and refused requests; got {string.Join(", ", seen)}");
        var (code, _, _) = await OpenAiHttp.PostJsonAsync(router.Http, "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.OK, code);
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
