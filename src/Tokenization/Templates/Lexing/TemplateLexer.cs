using System.Text;

namespace Cluster.Tokenization.Templates.Lexing;

/// <summary>
/// Splits template source into text and tags, applying the whitespace rules transformers uses for
/// chat templates: trim_blocks (drop the newline after a block tag), lstrip_blocks (drop spaces and
/// tabs before a block tag at line start), '-' markers ({%- -%} {{- -}}) and no trailing newline.
/// Comments ({# #}) are dropped.
/// </summary>
internal sealed class TemplateLexer
{
    private readonly string _src;
    private readonly List<TemplateToken> _tokens = [];
    private int _pos;

    private readonly List<int> _lineStarts = [0];

    private TemplateLexer(string source)
    {
        _src = source.EndsWith('\n') ? source[..^1] : source;
        for (var i = 0; i < _src.Length; i++)
        {
            if (_src[i] == '\n') _lineStarts.Add(i + 1);
        }
    }

    public static List<TemplateToken> Tokenize(string source)
    {
        var lexer = new TemplateLexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    private sealed record RawTag(char Kind, int Start, int InnerStart, int InnerEnd, int End, bool TrimLeft, bool TrimRight);

    private void Run()
    {
        var tags = new List<RawTag>();
        for (var i = 0; i < _src.Length - 1; i++)
        {
            if (_src[i] != '{' || _src[i + 1] is not ('{' or '%' or '#')) continue;
            var tag = ReadTag(i);
            tags.Add(tag);
            i = tag.End - 1;
        }
        var textStart = 0;
        RawTag? previous = null;
        foreach (var tag in tags)
        {
            EmitText(textStart, tag.Start, previous, tag);
            if (tag.Kind != '#') EmitTag(tag);
            previous = tag;
            textStart = tag.End;
        }
        EmitText(textStart, _src.Length, previous, null);
        _tokens.Add(new TemplateToken(TokenKind.End, "", Position(_src.Length)));
    }

    private RawTag ReadTag(int start)
    {
        var kind = _src[start + 1];
        var inner = start + 2;
        var trimLeft = inner < _src.Length && _src[inner] == '-';
        if (trimLeft || (inner < _src.Length && _src[inner] == '+')) inner++;
        var close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
        var i = inner;
        char quote = '\0';
        for (; i < _src.Length - 1; i++)
        {
            var c = _src[i];
            if (kind != '#' && quote == '\0' && c is '\'' or '"') quote = c;
            else if (quote != '\0') { if (c == '\\') i++; else if (c == quote) quote = '\0'; }
            else if (c == close[0] && _src[i + 1] == close[1]) break;
        }
        if (i >= _src.Length - 1) throw new TemplateException($"unclosed '{{{kind}' tag opened at {Position(start)}");
        var trimRight = _src[i - 1] == '-' && i - 1 >= inner;
        return new RawTag(kind, start, inner, trimRight ? i - 1 : i, i + 2, trimLeft, trimRight);
    }

    private void EmitText(int start, int end, RawTag? previous, RawTag? next)
    {
        var text = _src[start..end];
        if (previous is { TrimRight: true }) text = text.TrimStart();
        else if (previous is { Kind: '%' or '#' })
        {
            if (text.StartsWith("\r\n", StringComparison.Ordinal)) text = text[2..];
            else if (text.StartsWith('\n')) text = text[1..];
        }
        if (next is { TrimLeft: true }) text = text.TrimEnd();
        else if (next is { Kind: '%' or '#' }) text = LStripBlock(text, atTemplateStart: start == 0 && previous is null);
        if (text.Length > 0) _tokens.Add(new TemplateToken(TokenKind.Text, text, Position(start)));
    }

    /// <summary>Removes spaces/tabs that stand between a line start and the following block tag.</summary>
    private static string LStripBlock(string text, bool atTemplateStart)
    {
        var cut = text.Length;
        while (cut > 0 && text[cut - 1] is ' ' or '\t') cut--;
        if (cut == text.Length) return text;
        return (cut > 0 && text[cut - 1] == '\n') || (cut == 0 && atTemplateStart) ? text[..cut] : text;
    }

    private void EmitTag(RawTag tag)
    {
        _tokens.Add(new TemplateToken(tag.Kind == '{' ? TokenKind.OutputOpen : TokenKind.StatementOpen, tag.Kind == '{' ? "{{" : "{%", Position(tag.Start)));
        _pos = tag.InnerStart;
        while (true)
        {
            while (_pos < tag.InnerEnd && char.IsWhiteSpace(_src[_pos])) _pos++;
            if (_pos >= tag.InnerEnd) break;
            _tokens.Add(ReadToken(tag.InnerEnd));
        }
        _tokens.Add(new TemplateToken(TokenKind.TagClose, tag.Kind == '{' ? "}}" : "%}", Position(tag.InnerEnd)));
    }

    private static readonly string[] Operators = ["==", "!=", "<=", ">=", "//", "**", "+", "-", "*", "/", "%", "~", "<", ">", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}", "="];

    private TemplateToken ReadToken(int end)
    {
        var start = _pos;
        var c = _src[_pos];
        if (char.IsAsciiLetter(c) || c == '_')
        {
            while (_pos < end && (char.IsAsciiLetterOrDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
            return new TemplateToken(TokenKind.Name, _src[start.._pos], Position(start));
        }
        if (char.IsAsciiDigit(c))
        {
            while (_pos < end && (char.IsAsciiDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
            var isFloat = _pos + 1 < end && _src[_pos] == '.' && char.IsAsciiDigit(_src[_pos + 1]);
            if (isFloat) { _pos++; while (_pos < end && char.IsAsciiDigit(_src[_pos])) _pos++; }
            return new TemplateToken(isFloat ? TokenKind.Float : TokenKind.Integer, _src[start.._pos].Replace("_", ""), Position(start));
        }
        if (c is '\'' or '"') return new TemplateToken(TokenKind.String, ReadString(c, end), Position(start));
        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(_src, _pos, op, 0, op.Length) != 0 || _pos + op.Length > end) continue;
            _pos += op.Length;
            return new TemplateToken(TokenKind.Operator, op, Position(start));
        }
        throw new TemplateException($"unexpected character '{c}' at {Position(start)}");
    }

    private string ReadString(char quote, int end)
    {
        var start = _pos++;
        var sb = new StringBuilder();
        while (_pos < end && _src[_pos] != quote)
        {
            var c = _src[_pos++];
            if (c != '\\' || _pos >= end) { sb.Append(c); continue; }
            var e = _src[_pos++];
            sb.Append(e switch
            {
                'n' => "\n", 't' => "\t", 'r' => "\r", 'b' => "\b", 'f' => "\f", '\\' => "\\", '\'' => "'", '"' => "\"",
                'u' when _pos + 4 <= end => ((char)Convert.ToInt32(_src.Substring((_pos += 4) - 4, 4), 16)).ToString(),
                _ => "\\" + e,
            });
        }
        if (_pos >= end) throw new TemplateException($"unterminated string literal at {Position(start)}");
        _pos++;
        return sb.ToString();
    }

    private SourcePosition Position(int index)
    {
        var line = _lineStarts.BinarySearch(index);
        if (line < 0) line = ~line - 1;
        return new SourcePosition(line + 1, index - _lineStarts[line] + 1);
    }
}
