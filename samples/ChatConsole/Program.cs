// A streamed chat with a cluster's router: `dotnet run --project samples/ChatConsole -- http://127.0.0.1:50051`.
using Cluster.Client;
using Spectre.Console;

var address = new Uri(args.Length > 0 ? args[0] : "http://127.0.0.1:50051");
using var client = new ClusterClient(new ClusterClientOptions
{
    Addresses = [address],
    ApiKey = Environment.GetEnvironmentVariable("CLUSTER_API_KEY"),
});
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

var history = new List<ChatMessage> { ChatMessage.System("You are a helpful assistant.") };
AnsiConsole.MarkupLine($"[grey]Chatting with {address} (empty line or Ctrl+C to quit)[/]");
while (!stop.IsCancellationRequested)
{
    var question = AnsiConsole.Prompt(new TextPrompt<string>("[green]you>[/]").AllowEmpty());
    if (string.IsNullOrWhiteSpace(question))
    {
        break;
    }

    history.Add(ChatMessage.User(question));
    var reply = await ChatTurn.StreamAsync(client, history, stop.Token);
    history.Add(ChatMessage.Assistant(reply));
}
