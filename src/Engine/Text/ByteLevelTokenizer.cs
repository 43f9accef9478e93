using System.Text;
using System.Text.Json;

namespace Cluster.Engine.Text;

/// <summary>
/// A minimal tokenizer for byte-level vocabularies without merges (the ones <c>cluster make-model</c> writes):
/// each UTF-8 byte is one token. A stand-in until src/Tokenization's BPE is wired in; refuses vocabularies with merges.
/// </summary>
public sealed class ByteLevelTokenizer
{
    private readonly int[] _byteToId = new int[256];
    private readonly Dictionary<int, string> _idToToken = [];

    public ByteLevelTokenizer(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "tokenizer.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var model = doc.RootElement.GetProperty("model");
        if (model.TryGetProperty("merges", out var merges) && merges.GetArrayLength() > 0)
        {
            throw new NotSupportedException($"{path} has BPE merges; the byte-level stand-in handles merge-free vocabularies only (use src/Tokenization)");
        }
        Array.Fill(_byteToId, -1);
        foreach (var entry in model.GetProperty("vocab").EnumerateObject())
        {
            var id = entry.Value.GetInt32();
            _idToToken[id] = entry.Name;
            if (entry.Name.Length == 1 && ByteLevelAlphabet.TryToByte(entry.Name[0], out var b)) _byteToId[b] = id;
        }
        if (_byteToId.Contains(-1)) throw new InvalidDataException($"{path}: the vocabulary does not cover all 256 bytes");
    }

    public IReadOnlyList<int> Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return bytes.Select(b => _byteToId[b]).ToArray();
    }

    /// <summary>Decodes ids; byte tokens become UTF-8 text, special tokens their names, unknown ids "&lt;id&gt;".</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        var pending = new List<byte>();
        void Flush()
        {
            sb.Append(Encoding.UTF8.GetString(pending.ToArray()));
            pending.Clear();
        }
        foreach (var id in ids)
        {
            if (!_idToToken.TryGetValue(id, out var token))
            {
                Flush();
                sb.Append('<').Append(id).Append('>');
            }
            else if (token.Length == 1 && ByteLevelAlphabet.TryToByte(token[0], out var b))
            {
                pending.Add(b);
            }
            else
            {
                Flush();
                sb.Append(token);
            }
        }
        Flush();
        return sb.ToString();
    }
}
