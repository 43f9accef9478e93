using System.Diagnostics;

namespace Cluster.Cli.Bench;

/// <summary>The decode side of <c>bench kv-transfer --processes 2</c>: this program again, as a child, driven over stdin/stdout.</summary>
internal sealed class KvTransferBenchChild : IAsyncDisposable
{
    private readonly Process _process;

    private KvTransferBenchChild(Process process, string address)
    {
        _process = process;
        Address = address;
    }

    public string Address { get; }

    public static async Task<KvTransferBenchChild> StartAsync(string modelDir, string device, string dtype, int tokens)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") info.ArgumentList.Add(typeof(KvTransferBenchChild).Assembly.Location);
        foreach (var a in new[] { "bench", "kv-transfer", "--decode-server", "--model", modelDir, "--device", device, "--dtype", dtype, "--tokens", tokens.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the decode-side process.");
        var first = await process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("The decode-side process ended before listening.");
        if (!first.StartsWith("listening ", StringComparison.Ordinal)) throw new InvalidOperationException($"The decode-side process said '{first}'.");
        return new KvTransferBenchChild(process, first["listening ".Length..]);
    }

    public async Task<string> ReserveAsync(int tokens) => (await AskAsync($"reserve {tokens}", "ticket "))["ticket ".Length..];

    public Task TakeAsync(string ticket) => AskAsync($"take {ticket}", "ok");

    public async Task<string> HashAsync(string ticket) => (await AskAsync($"hash {ticket}", "hash "))["hash ".Length..];

    private async Task<string> AskAsync(string line, string expected)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
        var answer = await _process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("The decode-side process ended.");
        return answer.StartsWith(expected, StringComparison.Ordinal) ? answer : throw new InvalidOperationException($"Decode side: '{line}' → '{answer}'.");
    }

    public async ValueTask DisposeAsync()
    {
        await _process.StandardInput.WriteLineAsync("quit");
        await _process.StandardInput.FlushAsync();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
    }
}
