namespace Cluster.Engine.Model;

/// <summary>
/// How far <see cref="LlamaModel.Load"/> has got: <paramref name="Parts"/> of <paramref name="TotalParts"/> loaded (the
/// embedding, each decoder layer, the head), <paramref name="Bytes"/> of about <paramref name="TotalBytes"/> on the
/// device so far, and the time since the load began.
/// </summary>
public readonly record struct ModelLoadProgress(string Directory, int Parts, int TotalParts, long Bytes, long TotalBytes, TimeSpan Elapsed)
{
    public double Fraction => TotalParts == 0 ? 1 : (double)Parts / TotalParts;

    public bool Done => Parts >= TotalParts;

    public double LoadedGiB => Bytes / (double)(1L << 30);

    public double TotalGiB => TotalBytes / (double)(1L << 30);

    /// <summary>Load rate so far (GiB per second of the load).</summary>
    public double GiBPerSecond => LoadedGiB / Math.Max(Elapsed.TotalSeconds, 1e-3);
}
