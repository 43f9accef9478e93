using Cluster.Tokenization.Templates.Syntax;

namespace Cluster.Tokenization.Templates.Runtime;

/// <summary>Evaluates expression nodes with Python/Jinja semantics.</summary>
internal static class ExpressionEvaluator
{
    public static object? Evaluate(Expr expr, Scope scope)
    {
        try
        {
            return EvaluateCore(expr, scope);
        }
        catch (TemplateException) { throw; }
        catch (Exception e) when (e is InvalidCastException or ArgumentException or FormatException or OverflowException or KeyNotFoundException or IndexOutOfRangeException)
        {
            throw new TemplateException($"error evaluating expression at {expr.Position}: {e.Message}", e);
        }
    }

    private static object? EvaluateCore(Expr expr, Scope scope) => expr switch
    {
        LiteralExpr l => l.Value,
        NameExpr n => scope.Get(n.Name),
        AttributeExpr a => Access.Attribute(Evaluate(a.Target, scope), a.Name),
        IndexExpr i => Access.Index(Evaluate(i.Target, scope), Evaluate(i.Index, scope), i.Position),
        SliceExpr s => Access.Slice(Evaluate(s.Target, scope), Opt(s.Start, scope), Opt(s.Stop, scope), Opt(s.Step, scope), s.Position),
        CallExpr c => Call(c, scope),
        FilterExpr f => Filters.Apply(f.Name, Evaluate(f.Value, scope), [.. f.Args.Select(a => Evaluate(a, scope))], Kwargs(f.Kwargs, scope), f.Position),
        TestExpr t => Tests.Apply(t.Name, Evaluate(t.Value, scope), [.. t.Args.Select(a => Evaluate(a, scope))], t.Position) != t.Negated,
        UnaryExpr u => Unary(u, scope),
        BinaryExpr b => Binary(b, scope),
        ConditionalExpr c => Values.IsTruthy(Evaluate(c.Test, scope)) ? Evaluate(c.Then, scope) : c.Else is null ? Undefined.Instance : Evaluate(c.Else, scope),
        ListExpr l => l.Items.Select(x => Evaluate(x, scope)).ToList(),
        DictExpr d => Dict(d, scope),
        _ => throw new TemplateException($"unsupported expression at {expr.Position}"),
    };

    private static object? Opt(Expr? e, Scope scope) => e is null ? null : Evaluate(e, scope);

    private static Dictionary<string, object?> Kwargs(IReadOnlyList<(string Name, Expr Value)> kwargs, Scope scope) =>
        kwargs.ToDictionary(k => k.Name, k => Evaluate(k.Value, scope), StringComparer.Ordinal);

    private static object? Call(CallExpr c, Scope scope)
    {
        var callee = Evaluate(c.Callee, scope);
        if (callee is not JinjaCallable fn)
        {
            var what = c.Callee switch { NameExpr n => $"'{n.Name}'", AttributeExpr a => $"method '{a.Name}'", _ => "value" };
            throw new TemplateException($"{what} is not callable ({Values.TypeName(callee)}) at {c.Position}; unsupported function or method");
        }
        return fn([.. c.Args.Select(a => Evaluate(a, scope))], Kwargs(c.Kwargs, scope));
    }

    private static OrderedDictionary<string, object?> Dict(DictExpr d, Scope scope)
    {
        var result = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in d.Items)
        {
            if (Evaluate(k, scope) is not string key) throw new TemplateException($"dict keys must be strings at {k.Position}");
            result[key] = Evaluate(v, scope);
        }
        return result;
    }

    private static object? Unary(UnaryExpr u, Scope scope)
    {
        var v = Evaluate(u.Operand, scope);
        return u.Operator switch
        {
            "not" => !Values.IsTruthy(v),
            "-" => v is long l ? (object)(-l) : -Values.ToDouble(v),
            _ => v,
        };
    }

    private static object? Binary(BinaryExpr b, Scope scope)
    {
        if (b.Operator == "and") { var l = Evaluate(b.Left, scope); return Values.IsTruthy(l) ? Evaluate(b.Right, scope) : l; }
        if (b.Operator == "or") { var l = Evaluate(b.Left, scope); return Values.IsTruthy(l) ? l : Evaluate(b.Right, scope); }
        var left = Evaluate(b.Left, scope);
        var right = Evaluate(b.Right, scope);
        return Operators.Apply(b.Operator, left, right, b.Position);
    }
}
