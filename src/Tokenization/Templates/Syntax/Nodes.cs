namespace Cluster.Tokenization.Templates.Syntax;

/// <summary>A statement-level node of a parsed template.</summary>
internal abstract record Node(SourcePosition Position);

internal sealed record TextNode(string Text, SourcePosition Position) : Node(Position);

internal sealed record OutputNode(Expr Value, SourcePosition Position) : Node(Position);

internal sealed record IfNode(IReadOnlyList<(Expr Test, IReadOnlyList<Node> Body)> Branches, IReadOnlyList<Node> Else, SourcePosition Position) : Node(Position);

internal sealed record ForNode(IReadOnlyList<string> Targets, Expr Iterable, Expr? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node> Else, SourcePosition Position) : Node(Position);

/// <summary><c>{% set x = v %}</c>, <c>{% set a, b = v %}</c> or <c>{% set ns.attr = v %}</c> (Namespace non-null).</summary>
internal sealed record SetNode(IReadOnlyList<string> Targets, string? Namespace, Expr Value, SourcePosition Position) : Node(Position);

/// <summary><c>{% set x %}...{% endset %}</c>: captures rendered output.</summary>
internal sealed record SetBlockNode(string Target, IReadOnlyList<Node> Body, SourcePosition Position) : Node(Position);

internal sealed record LoopControlNode(bool IsBreak, SourcePosition Position) : Node(Position);

/// <summary>transformers' <c>{% generation %}</c> marker: renders its body unchanged.</summary>
internal sealed record GenerationNode(IReadOnlyList<Node> Body, SourcePosition Position) : Node(Position);

/// <summary>An expression node.</summary>
internal abstract record Expr(SourcePosition Position);

internal sealed record LiteralExpr(object? Value, SourcePosition Position) : Expr(Position);

internal sealed record NameExpr(string Name, SourcePosition Position) : Expr(Position);

internal sealed record AttributeExpr(Expr Target, string Name, SourcePosition Position) : Expr(Position);

internal sealed record IndexExpr(Expr Target, Expr Index, SourcePosition Position) : Expr(Position);

internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, SourcePosition Position) : Expr(Position);

internal sealed record CallExpr(Expr Callee, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs, SourcePosition Position) : Expr(Position);

internal sealed record FilterExpr(Expr Value, string Name, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs, SourcePosition Position) : Expr(Position);

internal sealed record TestExpr(Expr Value, string Name, bool Negated, IReadOnlyList<Expr> Args, SourcePosition Position) : Expr(Position);

internal sealed record UnaryExpr(string Operator, Expr Operand, SourcePosition Position) : Expr(Position);

internal sealed record BinaryExpr(string Operator, Expr Left, Expr Right, SourcePosition Position) : Expr(Position);

internal sealed record ConditionalExpr(Expr Then, Expr Test, Expr? Else, SourcePosition Position) : Expr(Position);

internal sealed record ListExpr(IReadOnlyList<Expr> Items, bool IsTuple, SourcePosition Position) : Expr(Position);

internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Items, SourcePosition Position) : Expr(Position);
