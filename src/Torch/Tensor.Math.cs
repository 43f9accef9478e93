using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

public sealed partial class Tensor
{
    internal enum Binary { Add, Sub, Mul, Div, Eq, Ne, Lt, Le, Gt, Ge, Maximum, Minimum, Pow, LogicalAnd, LogicalOr }

    internal enum Unary { Neg, Exp, Log, Sqrt, Rsqrt, Silu, Sigmoid, Cos, Sin, Abs, LogicalNot, Reciprocal, Tanh }

    private Tensor Bin(Binary op, Tensor other) => new(ct_binary((int)op, this, other));

    private Tensor Bin(Binary op, double other) => new(ct_binary_scalar((int)op, this, other));

    internal Tensor Un(Unary op) => new(ct_unary((int)op, this));

    public Tensor add(Tensor other) => Bin(Binary.Add, other);
    public Tensor add(double other) => Bin(Binary.Add, other);
    public Tensor sub(Tensor other) => Bin(Binary.Sub, other);
    public Tensor sub(double other) => Bin(Binary.Sub, other);
    public Tensor mul(Tensor other) => Bin(Binary.Mul, other);
    public Tensor mul(double other) => Bin(Binary.Mul, other);
    public Tensor div(Tensor other) => Bin(Binary.Div, other);
    public Tensor div(double other) => Bin(Binary.Div, other);
    public Tensor pow(double exponent) => Bin(Binary.Pow, exponent);
    public Tensor eq(Tensor other) => Bin(Binary.Eq, other);
    public Tensor eq(double other) => Bin(Binary.Eq, other);
    public Tensor ne(double other) => Bin(Binary.Ne, other);
    public Tensor lt(Tensor other) => Bin(Binary.Lt, other);
    public Tensor lt(double other) => Bin(Binary.Lt, other);
    public Tensor le(Tensor other) => Bin(Binary.Le, other);
    public Tensor le(double other) => Bin(Binary.Le, other);
    public Tensor gt(Tensor other) => Bin(Binary.Gt, other);
    public Tensor gt(double other) => Bin(Binary.Gt, other);
    public Tensor ge(double other) => Bin(Binary.Ge, other);
    public Tensor maximum(Tensor other) => Bin(Binary.Maximum, other);
    public Tensor minimum(Tensor other) => Bin(Binary.Minimum, other);
    public Tensor logical_and(Tensor other) => Bin(Binary.LogicalAnd, other);
    public Tensor logical_or(Tensor other) => Bin(Binary.LogicalOr, other);

    public Tensor neg() => Un(Unary.Neg);
    public Tensor exp() => Un(Unary.Exp);
    public Tensor log() => Un(Unary.Log);
    public Tensor sqrt() => Un(Unary.Sqrt);
    public Tensor rsqrt() => Un(Unary.Rsqrt);
    public Tensor sigmoid() => Un(Unary.Sigmoid);
    public Tensor cos() => Un(Unary.Cos);
    public Tensor sin() => Un(Unary.Sin);
    public Tensor abs() => Un(Unary.Abs);
    public Tensor logical_not() => Un(Unary.LogicalNot);
    public Tensor reciprocal() => Un(Unary.Reciprocal);

    public Tensor masked_fill(Tensor mask, double value) => new(ct_masked_fill(this, mask, value));
    public Tensor clamp(double min, double max) => new(ct_clamp(this, min, max));
    public Tensor matmul(Tensor other) => new(ct_matmul(this, other));

    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    public static Tensor operator +(Tensor a, double b) => a.add(b);
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    public static Tensor operator -(Tensor a, double b) => a.sub(b);
    public static Tensor operator -(Tensor a) => a.neg();
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    public static Tensor operator *(Tensor a, double b) => a.mul(b);
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    public static Tensor operator /(Tensor a, double b) => a.div(b);
}
