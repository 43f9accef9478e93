using Cluster.Client;
using Spectre.Console;

/// <summary>One assistant turn, shown live as tokens arrive, with usage at the end.</summary>
internal static class ChatTurn
{
    public static async Task<string> StreamAsync(ClusterClient client, IReadOnlyList<ChatMessage> history, CancellationToken cancellationToken)
    {
        var text = new System.Text.StringBuilder();
        var status = "waiting for the first token…";
        await AnsiConsole.Live(Render(text, status)).StartAsync(async live =>
        {
            try
            {
                await foreach (var chunk in client.ChatStreamAsync(history, new GenerationOptions { MaxTokens = 256, Temperature = 0.7f }, cancellationToken))
                {
                    text.Append(chunk.Text);
                    status = chunk.Usage is { } usage
                        ? $"{chunk.FinishReason}: {usage.CompletionTokens} tokens, {usage.CachedPromptTokens}/{usage.PromptTokens} prompt tokens from cache"
                        : "generating…";
                    live.UpdateTarget(Render(text, status));
                }
            }
            catch (Grpc.Core.RpcException e)
            {
                live.UpdateTarget(Render(text, $"[red]{Markup.Escape(e.StatusCode + ": " + e.Status.Detail)}[/]"));
            }
            catch (OperationCanceledException)
            {
                live.UpdateTarget(Render(text, "cancelled"));
            }
        });
        return text.ToString();
    }

    // The header shows the status (markup); the body is the reply so far (escaped: model text is not markup).
    private static Panel Render(System.Text.StringBuilder text, string status) =>
        new Panel(new Markup(Markup.Escape(text.ToString())))
            .Header(status.StartsWith('[') ? status : Markup.Escape(status))
            .RoundedBorder()
            .Expand();
}
