using Cluster.Tokenization.Templates.Lexing;

namespace Cluster.Tokenization.Templates.Syntax;

/// <summary>
/// Parses the statement level: text, {{ output }}, if/elif/else, for (with loop filter and else),
/// set (plain, tuple, namespace attribute, block), break/continue, generation. Anything else is
/// rejected with the construct's name and position.
/// </summary>
internal sealed class TemplateParser
{
    private static readonly HashSet<string> Unsupported =
        ["macro", "call", "filter", "include", "import", "from", "extends", "block", "raw", "with", "autoescape", "do", "trans"];

    private readonly TokenStream _s;
    private readonly ExpressionParser _expr;

    private TemplateParser(List<TemplateToken> tokens)
    {
        _s = new TokenStream(tokens);
        _expr = new ExpressionParser(_s);
    }

    public static IReadOnlyList<Node> Parse(string source)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source));
        var body = parser.ParseBody(out var end);
        if (end is not null) throw new TemplateException($"unexpected '{{% {end.Value} %}}' at {end.Position}");
        return body;
    }

    /// <summary>Parses nodes until the end or a statement whose keyword is in <paramref name="stops"/> (returned, not consumed beyond the keyword).</summary>
    private List<Node> ParseBody(out TemplateToken? stop, params string[] stops)
    {
        var nodes = new List<Node>();
        while (true)
        {
            var t = _s.Current;
            switch (t.Kind)
            {
                case TokenKind.End:
                    if (stops.Length > 0) throw new TemplateException($"missing '{{% {stops[^1]} %}}': template ended at {t.Position}");
                    stop = null;
                    return nodes;
                case TokenKind.Text:
                    nodes.Add(new TextNode(_s.Next().Value, t.Position));
                    break;
                case TokenKind.OutputOpen:
                    _s.Next();
                    nodes.Add(new OutputNode(_expr.Parse(), t.Position));
                    _s.ExpectClose();
                    break;
                case TokenKind.StatementOpen:
                    var keyword = _s.PeekAt(1);
                    if (keyword.Kind == TokenKind.Name && stops.Contains(keyword.Value))
                    {
                        _s.Next();
                        stop = _s.Next();
                        return nodes;
                    }
                    _s.Next();
                    nodes.Add(ParseStatement());
                    break;
                default:
                    throw _s.Error("unexpected token");
            }
        }
    }

    private Node ParseStatement()
    {
        var t = _s.Current;
        if (t.Kind != TokenKind.Name) throw _s.Error("expected a statement keyword");
        if (Unsupported.Contains(t.Value))
            throw new TemplateException($"unsupported Jinja construct '{{% {t.Value} %}}' at {t.Position}; supported statements: if/elif/else, for, set, break, continue, generation");
        _s.Next();
        switch (t.Value)
        {
            case "if": return ParseIf(t.Position);
            case "for": return ParseFor(t.Position);
            case "set": return ParseSet(t.Position);
            case "break" or "continue":
                _s.ExpectClose();
                return new LoopControlNode(t.Value == "break", t.Position);
            case "generation":
                _s.ExpectClose();
                var body = ParseBody(out _, "endgeneration");
                _s.ExpectClose();
                return new GenerationNode(body, t.Position);
            default:
                throw new TemplateException($"unknown or misplaced statement '{{% {t.Value} %}}' at {t.Position}");
        }
    }

    private IfNode ParseIf(SourcePosition pos)
    {
        var branches = new List<(Expr, IReadOnlyList<Node>)>();
        var test = _expr.Parse();
        _s.ExpectClose();
        while (true)
        {
            var body = ParseBody(out var stop, "elif", "else", "endif");
            branches.Add((test, body));
            if (stop!.Value == "elif") { test = _expr.Parse(); _s.ExpectClose(); continue; }
            _s.ExpectClose();
            if (stop.Value == "endif") return new IfNode(branches, [], pos);
            var elseBody = ParseBody(out _, "endif");
            _s.ExpectClose();
            return new IfNode(branches, elseBody, pos);
        }
    }

    private ForNode ParseFor(SourcePosition pos)
    {
        var targets = new List<string> { _s.ExpectName() };
        while (_s.TryOperator(",")) targets.Add(_s.ExpectName());
        if (!_s.TryName("in")) throw _s.Error("expected 'in' in for loop");
        var iterable = _expr.Parse(allowConditional: false);
        var filter = _s.TryName("if") ? _expr.Parse(allowConditional: false) : null;
        if (_s.Current.IsName("recursive")) throw new TemplateException($"unsupported Jinja construct 'recursive' loop at {_s.Current.Position}");
        _s.ExpectClose();
        var body = ParseBody(out var stop, "else", "endfor");
        _s.ExpectClose();
        if (stop!.Value == "endfor") return new ForNode(targets, iterable, filter, body, [], pos);
        var elseBody = ParseBody(out _, "endfor");
        _s.ExpectClose();
        return new ForNode(targets, iterable, filter, body, elseBody, pos);
    }

    private Node ParseSet(SourcePosition pos)
    {
        var first = _s.ExpectName();
        if (_s.TryOperator("."))
        {
            var attr = _s.ExpectName();
            _s.ExpectOperator("=");
            var v = _expr.ParseTupleOrExpression();
            _s.ExpectClose();
            return new SetNode([attr], first, v, pos);
        }
        var targets = new List<string> { first };
        while (_s.TryOperator(",")) targets.Add(_s.ExpectName());
        if (targets.Count == 1 && _s.Current.Kind == TokenKind.TagClose)
        {
            _s.ExpectClose();
            var body = ParseBody(out _, "endset");
            _s.ExpectClose();
            return new SetBlockNode(first, body, pos);
        }
        _s.ExpectOperator("=");
        var value = _expr.ParseTupleOrExpression();
        _s.ExpectClose();
        return new SetNode(targets, null, value, pos);
    }
}
