using System.Text.Json;

namespace Cluster.Tokenization.Tests;

/// <summary>One corpus string with the JS reference's ids and decoded text (strings travel as UTF-16 units).</summary>
internal sealed record ReferenceCase(int Index, string Text, int[] Ids, string Decoded)
{
    public static IReadOnlyList<ReferenceCase> Load(string family, string mode)
    {
        var output = NodeRunner.Run("reference.js", null, family, mode);
        var cases = new List<ReferenceCase>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            cases.Add(new ReferenceCase(cases.Count, Units(r.GetProperty("u")), [.. r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())], Units(r.GetProperty("d"))));
        }
        return cases;
    }

    public static string Escape(string s)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var c in s) sb.Append(c is >= ' ' and < (char)0x7F ? c.ToString() : $"\\u{(int)c:x4}");
        return sb.ToString();
    }

    private static string Units(JsonElement array) => new([.. array.EnumerateArray().Select(x => (char)x.GetInt32())]);
}
