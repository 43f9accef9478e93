namespace Cluster.Tokenization.Templates.Lexing;

internal enum TokenKind
{
    Text,
    OutputOpen,
    StatementOpen,
    TagClose,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

/// <summary>A lexed unit: template text, a tag boundary, or a token inside a tag.</summary>
internal sealed record TemplateToken(TokenKind Kind, string Value, SourcePosition Position)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;

    public bool IsName(string value) => Kind == TokenKind.Name && Value == value;

    public bool IsOperator(string value) => Kind == TokenKind.Operator && Value == value;
}
