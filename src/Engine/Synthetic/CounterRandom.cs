namespace Cluster.Engine.Synthetic;

/// <summary>
/// A counter-based generator: element i of a stream is a pure function of (key, i), so any slice can be
/// produced independently and in parallel, identically on every machine. Normals are Irwin–Hall sums of four
/// 16-bit uniforms, rescaled to unit variance (bounded at ±2√3: fine for random initialisation).
/// </summary>
public static class CounterRandom
{
    private const float IrwinHallScale = 1.7320508f; // √3: four U(0,1) have variance 1/3.

    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>A stream key for tensor <paramref name="name"/> of a model with <paramref name="seed"/>.</summary>
    public static ulong Key(ulong seed, string name)
    {
        var h = Mix(seed);
        foreach (var ch in name) h = Mix(h ^ ch);
        return h;
    }

    /// <summary>An approximately standard-normal value for element <paramref name="index"/> of stream <paramref name="key"/>.</summary>
    public static float Normal(ulong key, long index)
    {
        var x = Mix(key ^ ((ulong)index * 0xD1B54A32D192ED03UL));
        var sum = (x & 0xFFFF) + ((x >> 16) & 0xFFFF) + ((x >> 32) & 0xFFFF) + (x >> 48);
        return ((sum + 2f) / 65536f - 2f) * IrwinHallScale;
    }
}
