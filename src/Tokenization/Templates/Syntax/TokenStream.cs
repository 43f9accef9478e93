using Cluster.Tokenization.Templates.Lexing;

namespace Cluster.Tokenization.Templates.Syntax;

/// <summary>Cursor over lexed tokens with expectation helpers that report positions.</summary>
internal sealed class TokenStream(List<TemplateToken> tokens)
{
    private int _index;

    public TemplateToken Current => tokens[_index];

    public TemplateToken PeekAt(int offset) => tokens[Math.Min(_index + offset, tokens.Count - 1)];

    public TemplateToken Next()
    {
        var t = tokens[_index];
        if (_index < tokens.Count - 1) _index++;
        return t;
    }

    public bool TryOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        Next();
        return true;
    }

    public bool TryName(string name)
    {
        if (!Current.IsName(name)) return false;
        Next();
        return true;
    }

    public TemplateToken ExpectOperator(string op) =>
        Current.IsOperator(op) ? Next() : throw Error($"expected '{op}'");

    public string ExpectName()
    {
        return Current.Kind == TokenKind.Name ? Next().Value : throw Error("expected a name");
    }

    public void ExpectClose() 
    {
        if (Current.Kind != TokenKind.TagClose) throw Error("expected the end of the tag");
        Next();
    }

    public TemplateException Error(string message) =>
        new($"{message} at {Current.Position}, found {Describe(Current)}");

    private static string Describe(TemplateToken t) => t.Kind switch
    {
        TokenKind.End => "end of template",
        TokenKind.TagClose => $"'{t.Value}'",
        TokenKind.Text => "text",
        _ => $"'{t.Value}'",
    };
}
