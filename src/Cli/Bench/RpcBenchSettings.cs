namespace Cluster.Cli.Bench;

/// <summary>What <c>cluster bench rpc</c> measures: bytes per run, message size, concurrency, runs per figure.</summary>
internal sealed record RpcBenchSettings(long TotalBytes, int MessageSize, int Streams, int Repeat, int KestrelBufferBytes = 0);

/// <summary>One row of the result: GB/s of raw TCP, plain HTTP/2 and RPC, up and down, at one concurrency.</summary>
internal sealed record RpcBenchRow(string Label, double Raw, double PlainUpload, double PlainDownload, double StockUpload, double StockDownload);
