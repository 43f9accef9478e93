using System.Text;
using Cluster.Tokenization.Templates.Syntax;

namespace Cluster.Tokenization.Templates.Runtime;

/// <summary>Executes statement nodes, writing output; for-loops get a fresh scope per iteration.</summary>
internal static class TemplateRenderer
{
    private enum Flow { Normal, Break, Continue }

    public static void Render(IReadOnlyList<Node> nodes, Scope scope, StringBuilder output)
    {
        if (Execute(nodes, scope, output) != Flow.Normal) throw new TemplateException("'break' or 'continue' outside a loop");
    }

    private static Flow Execute(IReadOnlyList<Node> nodes, Scope scope, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            var flow = ExecuteOne(node, scope, output);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private static Flow ExecuteOne(Node node, Scope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode t: output.Append(t.Text); return Flow.Normal;
            case OutputNode o: output.Append(Values.ToOutput(ExpressionEvaluator.Evaluate(o.Value, scope))); return Flow.Normal;
            case IfNode i:
                foreach (var (test, body) in i.Branches)
                {
                    if (Values.IsTruthy(ExpressionEvaluator.Evaluate(test, scope))) return Execute(body, scope, output);
                }
                return Execute(i.Else, scope, output);
            case ForNode f: For(f, scope, output); return Flow.Normal;
            case SetNode s: Set(s, scope); return Flow.Normal;
            case SetBlockNode sb:
                var captured = new StringBuilder();
                Render(sb.Body, scope, captured);
                scope.Set(sb.Target, captured.ToString());
                return Flow.Normal;
            case LoopControlNode c: return c.IsBreak ? Flow.Break : Flow.Continue;
            case GenerationNode g: return Execute(g.Body, scope, output);
            default: throw new TemplateException($"unsupported node at {node.Position}");
        }
    }

    private static void Set(SetNode s, Scope scope)
    {
        var value = ExpressionEvaluator.Evaluate(s.Value, scope);
        if (s.Namespace is { } ns)
        {
            if (scope.Get(ns) is not Namespace target) throw new TemplateException($"cannot assign attribute '{s.Targets[0]}' on '{ns}': only namespace() objects can be assigned at {s.Position}");
            target[s.Targets[0]] = value;
            return;
        }
        Bind(s.Targets, value, scope, s.Position);
    }

    private static void Bind(IReadOnlyList<string> targets, object? value, Scope scope, SourcePosition pos)
    {
        if (targets.Count == 1) { scope.Set(targets[0], value); return; }
        var items = Values.Iterate(value);
        if (items.Count != targets.Count) throw new TemplateException($"cannot unpack {items.Count} values into {targets.Count} names at {pos}");
        for (var i = 0; i < targets.Count; i++) scope.Set(targets[i], items[i]);
    }

    private static void For(ForNode f, Scope scope, StringBuilder output)
    {
        var items = Values.Iterate(ExpressionEvaluator.Evaluate(f.Iterable, scope));
        if (f.Filter is not null)
        {
            items = items.Where(item =>
            {
                var probe = new Scope(scope);
                Bind(f.Targets, item, probe, f.Position);
                return Values.IsTruthy(ExpressionEvaluator.Evaluate(f.Filter, probe));
            }).ToList();
        }
        if (items.Count == 0) { Execute(f.Else, scope, output); return; }
        for (var i = 0; i < items.Count; i++)
        {
            var iteration = new Scope(scope);
            Bind(f.Targets, items[i], iteration, f.Position);
            iteration.Set("loop", LoopObject(items, i));
            if (Execute(f.Body, iteration, output) == Flow.Break) break;
        }
    }

    private static OrderedDictionary<string, object?> LoopObject(List<object?> items, int i) => new(StringComparer.Ordinal)
    {
        ["index"] = (long)(i + 1),
        ["index0"] = (long)i,
        ["revindex"] = (long)(items.Count - i),
        ["revindex0"] = (long)(items.Count - i - 1),
        ["first"] = i == 0,
        ["last"] = i == items.Count - 1,
        ["length"] = (long)items.Count,
        ["previtem"] = i > 0 ? items[i - 1] : Undefined.Instance,
        ["nextitem"] = i < items.Count - 1 ? items[i + 1] : Undefined.Instance,
        ["cycle"] = (JinjaCallable)((args, _) => args.Count == 0 ? Undefined.Instance : args[i % args.Count]),
    };
}
