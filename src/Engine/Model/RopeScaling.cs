namespace Cluster.Engine.Model;

/// <summary>config.json's rope_scaling: only "default" and "llama3" change the frequencies here.</summary>
public sealed record RopeScaling(
    string RopeType,
    double Factor,
    double LowFreqFactor,
    double HighFreqFactor,
    int OriginalMaxPositionEmbeddings);
