using System.Text;

namespace Cluster.Tokenization.Unicode;

/// <summary>
/// Unicode NFC over our own tables (<see cref="NfcData"/>), because <c>string.Normalize</c> silently
/// returns its input unchanged under InvariantGlobalization. Lone surrogates pass through untouched.
/// </summary>
internal static class Nfc
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Dictionary<int, (int First, int Second)> Decomp = BuildDecomp();
    private static readonly Dictionary<int, byte> Ccc = BuildCcc();
    private static readonly Dictionary<long, int> Comp = BuildComp();

    /// <summary>Returns <paramref name="text"/> itself when it is already in NFC (the common case).</summary>
    public static string Normalize(string text)
    {
        if (IsQuickYes(text)) return text;
        var cps = new List<int>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                cp = char.ConvertToUtf32(text[i], text[++i]);
            Decompose(cp, cps);
        }
        Reorder(cps);
        var composed = Compose(cps);
        var sb = new StringBuilder(text.Length);
        foreach (var cp in composed)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) sb.Append((char)cp); // lone surrogate kept as is
            else sb.Append(char.ConvertFromUtf32(cp));
        }
        return sb.ToString();
    }

    private static bool IsQuickYes(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (cp < 0x300) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                cp = char.ConvertToUtf32(text[i], text[++i]);
            else if (char.IsSurrogate(text[i])) continue; // a lone surrogate passes through unchanged
            if (MaybeUnstable(cp)) return false;
        }
        return true;
    }

    private static bool MaybeUnstable(int cp)
    {
        var r = NfcData.MaybeUnstable;
        int lo = 0, hi = (r.Length / 2) - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            if (cp < r[2 * mid]) hi = mid - 1;
            else if (cp > r[(2 * mid) + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    private static int CombiningClass(int cp) => Ccc.TryGetValue(cp, out var c) ? c : 0;

    private static void Decompose(int cp, List<int> output)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            var s = cp - SBase;
            output.Add(LBase + (s / NCount));
            output.Add(VBase + (s % NCount / TCount));
            if (s % TCount != 0) output.Add(TBase + (s % TCount));
            return;
        }
        if (Decomp.TryGetValue(cp, out var d))
        {
            Decompose(d.First, output);
            if (d.Second >= 0) Decompose(d.Second, output);
            return;
        }
        output.Add(cp);
    }

    /// <summary>Canonical ordering: a stable sort of each run of non-starters by combining class.</summary>
    private static void Reorder(List<int> cps)
    {
        for (var i = 1; i < cps.Count; i++)
        {
            var cc = CombiningClass(cps[i]);
            if (cc == 0) continue;
            var j = i;
            while (j > 0 && CombiningClass(cps[j - 1]) > cc)
            {
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }

    private static List<int> Compose(List<int> cps)
    {
        if (cps.Count == 0) return cps;
        var output = new List<int>(cps.Count) { cps[0] };
        var starterPos = 0;
        var lastClass = CombiningClass(cps[0]) == 0 ? 0 : 256;
        for (var i = 1; i < cps.Count; i++)
        {
            var ch = cps[i];
            var chClass = CombiningClass(ch);
            var composite = ComposePair(output[starterPos], ch);
            if (composite >= 0 && (lastClass < chClass || lastClass == 0) && lastClass != 256)
            {
                output[starterPos] = composite;
                continue;
            }
            if (chClass == 0) starterPos = output.Count;
            lastClass = chClass;
            output.Add(ch);
        }
        return output;
    }

    private static int ComposePair(int a, int b)
    {
        if (a is >= LBase and < LBase + LCount && b is >= VBase and < VBase + VCount)
            return SBase + ((((a - LBase) * VCount) + (b - VBase)) * TCount);
        if (a is >= SBase and < SBase + SCount && (a - SBase) % TCount == 0 && b is > TBase and < TBase + TCount)
            return a + (b - TBase);
        return Comp.TryGetValue(((long)a << 32) | (uint)b, out var c) ? c : -1;
    }

    private static Dictionary<int, (int, int)> BuildDecomp()
    {
        var t = NfcData.Decompositions;
        var d = new Dictionary<int, (int, int)>(t.Length / 3);
        for (var i = 0; i < t.Length; i += 3) d[t[i]] = (t[i + 1], t[i + 2]);
        return d;
    }

    private static Dictionary<int, byte> BuildCcc()
    {
        var t = NfcData.CombiningClasses;
        var d = new Dictionary<int, byte>(t.Length / 2);
        for (var i = 0; i < t.Length; i += 2) d[t[i]] = (byte)t[i + 1];
        return d;
    }

    private static Dictionary<long, int> BuildComp()
    {
        var t = NfcData.Compositions;
        var d = new Dictionary<long, int>(t.Length / 3);
        for (var i = 0; i < t.Length; i += 3) d[((long)t[i] << 32) | (uint)t[i + 1]] = t[i + 2];
        return d;
    }
}
