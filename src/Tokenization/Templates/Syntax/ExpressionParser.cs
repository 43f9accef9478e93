using System.Globalization;
using Cluster.Tokenization.Templates.Lexing;

namespace Cluster.Tokenization.Templates.Syntax;

/// <summary>
/// Jinja expressions with Jinja's precedence: conditional → or → and → not → comparisons (==, !=, &lt;,
/// in, not in) → + - → ~ → * / // % → ** → unary → primary with postfix (. [] () | is).
/// </summary>
internal sealed class ExpressionParser(TokenStream s)
{
    private static readonly HashSet<string> Comparisons = ["==", "!=", "<", ">", "<=", ">="];

    public Expr Parse(bool allowConditional = true)
    {
        var expr = ParseOr();
        if (!allowConditional || !s.Current.IsName("if")) return expr;
        var pos = s.Next().Position;
        var test = ParseOr();
        var otherwise = s.TryName("else") ? Parse() : null;
        return new ConditionalExpr(expr, test, otherwise, pos);
    }

    /// <summary>Parses <c>a, b, c</c> as a tuple (used by set and for targets' values).</summary>
    public Expr ParseTupleOrExpression()
    {
        var first = Parse();
        if (!s.Current.IsOperator(",")) return first;
        var items = new List<Expr> { first };
        while (s.TryOperator(",") && s.Current.Kind != TokenKind.TagClose) items.Add(Parse());
        return new ListExpr(items, IsTuple: true, first.Position);
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (s.Current.IsName("or")) { var p = s.Next().Position; left = new BinaryExpr("or", left, ParseAnd(), p); }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (s.Current.IsName("and")) { var p = s.Next().Position; left = new BinaryExpr("and", left, ParseNot(), p); }
        return left;
    }

    private Expr ParseNot()
    {
        if (!s.Current.IsName("not")) return ParseCompare();
        var p = s.Next().Position;
        return new UnaryExpr("not", ParseNot(), p);
    }

    private Expr ParseCompare()
    {
        var left = ParseAdditive();
        while (true)
        {
            var t = s.Current;
            if (t.Kind == TokenKind.Operator && Comparisons.Contains(t.Value)) { s.Next(); left = new BinaryExpr(t.Value, left, ParseAdditive(), t.Position); }
            else if (t.IsName("in")) { s.Next(); left = new BinaryExpr("in", left, ParseAdditive(), t.Position); }
            else if (t.IsName("not") && s.PeekAt(1).IsName("in")) { s.Next(); s.Next(); left = new BinaryExpr("not in", left, ParseAdditive(), t.Position); }
            else return left;
        }
    }

    private Expr ParseAdditive()
    {
        var left = ParseConcat();
        while (s.Current.IsOperator("+") || s.Current.IsOperator("-"))
        {
            var t = s.Next();
            left = new BinaryExpr(t.Value, left, ParseConcat(), t.Position);
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMultiplicative();
        while (s.Current.IsOperator("~")) { var p = s.Next().Position; left = new BinaryExpr("~", left, ParseMultiplicative(), p); }
        return left;
    }

    private Expr ParseMultiplicative()
    {
        var left = ParsePower();
        while (s.Current.Kind == TokenKind.Operator && s.Current.Value is "*" or "/" or "//" or "%")
        {
            var t = s.Next();
            left = new BinaryExpr(t.Value, left, ParsePower(), t.Position);
        }
        return left;
    }

    private Expr ParsePower()
    {
        var left = ParseUnary();
        while (s.Current.IsOperator("**")) { var p = s.Next().Position; left = new BinaryExpr("**", left, ParseUnary(), p); }
        return left;
    }

    private Expr ParseUnary()
    {
        if (s.Current.IsOperator("-") || s.Current.IsOperator("+"))
        {
            var t = s.Next();
            return ParsePostfixAndFilters(new UnaryExpr(t.Value, ParseUnary(), t.Position));
        }
        return ParsePostfixAndFilters(ParsePostfix(ParsePrimary()));
    }

    private Expr ParsePostfixAndFilters(Expr expr)
    {
        while (true)
        {
            if (s.Current.IsOperator("|"))
            {
                var p = s.Next().Position;
                var name = ParseDottedName();
                var (args, kwargs) = s.Current.IsOperator("(") ? ParseCallArguments() : ([], []);
                expr = ParsePostfix(new FilterExpr(expr, name, args, kwargs, p));
            }
            else if (s.Current.IsName("is"))
            {
                var p = s.Next().Position;
                var negated = s.TryName("not");
                var name = s.Current.Kind == TokenKind.Operator && Comparisons.Contains(s.Current.Value) ? s.Next().Value : s.ExpectName();
                var args = new List<Expr>();
                if (s.Current.IsOperator("(")) args.AddRange(ParseCallArguments().Args);
                else if (s.Current.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float || (s.Current.Kind == TokenKind.Name && !IsKeyword(s.Current.Value)))
                    args.Add(ParsePostfix(ParsePrimary()));
                expr = new TestExpr(expr, name, negated, args, p);
            }
            else return expr;
        }
    }

    private static bool IsKeyword(string name) => name is "and" or "or" or "not" or "in" or "is" or "if" or "else";

    private string ParseDottedName()
    {
        var name = s.ExpectName();
        while (s.Current.IsOperator(".")) { s.Next(); name += "." + s.ExpectName(); }
        return name;
    }

    private Expr ParsePostfix(Expr expr)
    {
        while (true)
        {
            var t = s.Current;
            if (t.IsOperator(".")) { s.Next(); expr = new AttributeExpr(expr, s.Current.Kind == TokenKind.Integer ? s.Next().Value : s.ExpectName(), t.Position); }
            else if (t.IsOperator("[")) { s.Next(); expr = ParseSubscript(expr, t.Position); }
            else if (t.IsOperator("(")) { var (a, k) = ParseCallArguments(); expr = new CallExpr(expr, a, k, t.Position); }
            else return expr;
        }
    }

    private Expr ParseSubscript(Expr target, SourcePosition pos)
    {
        Expr? start = null, stop = null, step = null;
        if (!s.Current.IsOperator(":")) start = Parse();
        if (!s.TryOperator(":")) { s.ExpectOperator("]"); return new IndexExpr(target, start!, pos); }
        if (!s.Current.IsOperator(":") && !s.Current.IsOperator("]")) stop = Parse();
        if (s.TryOperator(":") && !s.Current.IsOperator("]")) step = Parse();
        s.ExpectOperator("]");
        return new SliceExpr(target, start, stop, step, pos);
    }

    private (List<Expr> Args, List<(string, Expr)> Kwargs) ParseCallArguments()
    {
        s.ExpectOperator("(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!s.Current.IsOperator(")"))
        {
            if (s.Current.Kind == TokenKind.Name && s.PeekAt(1).IsOperator("="))
            {
                var name = s.Next().Value;
                s.Next();
                kwargs.Add((name, Parse()));
            }
            else args.Add(Parse());
            if (!s.TryOperator(",")) break;
        }
        s.ExpectOperator(")");
        return (args, kwargs);
    }

    private Expr ParsePrimary()
    {
        var t = s.Current;
        switch (t.Kind)
        {
            case TokenKind.String:
                var text = s.Next().Value;
                while (s.Current.Kind == TokenKind.String) text += s.Next().Value; // adjacent literals concatenate
                return new LiteralExpr(text, t.Position);
            case TokenKind.Integer:
                s.Next();
                return new LiteralExpr(long.Parse(t.Value, CultureInfo.InvariantCulture), t.Position);
            case TokenKind.Float:
                s.Next();
                return new LiteralExpr(double.Parse(t.Value, CultureInfo.InvariantCulture), t.Position);
            case TokenKind.Name:
                s.Next();
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(true, t.Position),
                    "false" or "False" => new LiteralExpr(false, t.Position),
                    "none" or "None" => new LiteralExpr(null, t.Position),
                    _ => new NameExpr(t.Value, t.Position),
                };
            case TokenKind.Operator when t.Value == "(":
                s.Next();
                if (s.TryOperator(")")) return new ListExpr([], IsTuple: true, t.Position);
                var inner = ParseTupleOrExpression();
                s.ExpectOperator(")");
                return inner;
            case TokenKind.Operator when t.Value == "[":
                s.Next();
                var items = new List<Expr>();
                while (!s.Current.IsOperator("]")) { items.Add(Parse()); if (!s.TryOperator(",")) break; }
                s.ExpectOperator("]");
                return new ListExpr(items, IsTuple: false, t.Position);
            case TokenKind.Operator when t.Value == "{":
                s.Next();
                var pairs = new List<(Expr, Expr)>();
                while (!s.Current.IsOperator("}"))
                {
                    var key = Parse();
                    s.ExpectOperator(":");
                    pairs.Add((key, Parse()));
                    if (!s.TryOperator(",")) break;
                }
                s.ExpectOperator("}");
                return new DictExpr(pairs, t.Position);
            default:
                throw s.Error("expected an expression");
        }
    }
}
