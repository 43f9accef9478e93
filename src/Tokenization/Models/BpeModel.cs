using System.Collections.Concurrent;
using System.Text;

namespace Cluster.Tokenization.Models;

/// <summary>
/// The BPE model of tokenizer.json. Byte-level vocabularies start from the piece's UTF-8 bytes;
/// SentencePiece-style ones start from code points, with byte fallback (&lt;0xXX&gt;) or unk for unknown
/// ones. Merging works on ids: a dictionary keyed by the id pair gives (rank, merged id), and a heap
/// ordered by (rank, position) applies the lowest-ranked, leftmost merge first. Results are cached per piece.
/// </summary>
internal sealed class BpeModel
{
    private const int MaxCachedPieceLength = 256;
    private const int MaxCacheEntries = 200_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly Dictionary<long, (int Rank, int Id)> _merges;
    private readonly int[] _byteIds = new int[256];
    private readonly int _unkId;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;

    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, BpeOptions options)
    {
        _vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        Options = options;
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (l, r) = merges[rank];
            if (!vocab.TryGetValue(l, out var a) || !vocab.TryGetValue(r, out var b))
                throw new TokenizerLoadException($"BPE merge #{rank} '{l} {r}' uses a token missing from the vocabulary");
            if (!vocab.TryGetValue(l + r, out var merged))
                throw new TokenizerLoadException($"BPE merge #{rank} '{l} {r}' produces '{l + r}', which is missing from the vocabulary");
            _merges.TryAdd(Key(a, b), (rank, merged));
        }
        for (var b = 0; b < 256; b++)
        {
            var token = options.ByteLevel ? ByteLevelAlphabet.ByteToChar[b].ToString() : $"<0x{b:X2}>";
            _byteIds[b] = vocab.TryGetValue(token, out var id) ? id : -1;
            if (options.ByteLevel && id < 0) throw new TokenizerLoadException($"byte-level vocabulary lacks the token for byte 0x{b:X2} ('{token}')");
        }
        _unkId = options.UnkToken is { } unk && vocab.TryGetValue(unk, out var u) ? u : -1;
    }

    public BpeOptions Options { get; }

    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    internal Dictionary<string, int> VocabDictionary => _vocab;

    /// <summary>Appends the ids of one pre-tokenized piece.</summary>
    public void Encode(ReadOnlySpan<char> piece, List<int> output)
    {
        if (piece.IsEmpty) return;
        if (_cacheBySpan.TryGetValue(piece, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        var ids = Options.ByteLevel ? EncodeByteLevel(piece) : EncodeChars(piece);
        if (piece.Length <= MaxCachedPieceLength && _cache.Count < MaxCacheEntries) _cacheBySpan.TryAdd(piece, ids);
        output.AddRange(ids);
    }

    private int[] EncodeByteLevel(ReadOnlySpan<char> piece)
    {
        var byteCount = Encoding.UTF8.GetByteCount(piece);
        Span<byte> bytes = byteCount <= 1024 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(piece, bytes);
        if (Options.IgnoreMerges && byteCount <= 1024)
        {
            Span<char> spelled = stackalloc char[byteCount];
            for (var i = 0; i < byteCount; i++) spelled[i] = ByteLevelAlphabet.ByteToChar[bytes[i]];
            if (_vocabBySpan.TryGetValue(spelled, out var whole)) return [whole];
        }
        var symbols = new int[byteCount];
        for (var i = 0; i < byteCount; i++) symbols[i] = _byteIds[bytes[i]];
        return Merge(symbols);
    }

    private int[] EncodeChars(ReadOnlySpan<char> piece)
    {
        if (Options.IgnoreMerges && _vocabBySpan.TryGetValue(piece, out var whole)) return [whole];
        var symbols = new List<int>(piece.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < piece.Length;)
        {
            var w = char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]) ? 2 : 1;
            var ch = piece.Slice(i, w);
            i += w;
            if (_vocabBySpan.TryGetValue(ch, out var id)) { symbols.Add(id); continue; }
            if (Options.ByteFallback && AllBytesKnown(ch, utf8, out var n))
            {
                for (var k = 0; k < n; k++) symbols.Add(_byteIds[utf8[k]]);
                continue;
            }
            if (_unkId < 0) throw new InvalidOperationException($"character U+{(int)ch[0]:X4} is not in the vocabulary and the tokenizer has no unk token");
            if (Options.FuseUnk && symbols.Count > 0 && symbols[^1] == _unkId) continue;
            symbols.Add(_unkId);
        }
        return Merge([.. symbols]);
    }

    private bool AllBytesKnown(ReadOnlySpan<char> ch, Span<byte> utf8, out int n)
    {
        n = Encoding.UTF8.GetBytes(ch, utf8); // a lone surrogate becomes U+FFFD's bytes
        for (var k = 0; k < n; k++)
        {
            if (_byteIds[utf8[k]] < 0) return false;
        }
        return true;
    }

    private int[] Merge(int[] symbols)
    {
        var n = symbols.Length;
        if (n < 2) return symbols;
        var next = new int[n];
        var prev = new int[n];
        for (var i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        var heap = new PriorityQueue<int, (int Rank, int Pos)>();
        for (var i = 0; i + 1 < n; i++) Offer(heap, symbols, i, i + 1);
        var alive = n;
        while (heap.TryDequeue(out var pos, out var key))
        {
            var right = next[pos];
            if (symbols[pos] < 0 || right < 0) continue;
            if (!_merges.TryGetValue(Key(symbols[pos], symbols[right]), out var m) || m.Rank != key.Rank) continue;
            symbols[pos] = m.Id;
            symbols[right] = -1;
            alive--;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0) Offer(heap, symbols, prev[pos], pos);
            if (next[pos] >= 0) Offer(heap, symbols, pos, next[pos]);
        }
        var result = new int[alive];
        for (int i = 0, k = 0; i >= 0; i = next[i]) result[k++] = symbols[i];
        return result;
    }

    private void Offer(PriorityQueue<int, (int, int)> heap, int[] symbols, int left, int right)
    {
        if (_merges.TryGetValue(Key(symbols[left], symbols[right]), out var m)) heap.Enqueue(left, (m.Rank, left));
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;
}
