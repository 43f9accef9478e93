namespace Cluster.Torch;

/// <summary>Sizes and names of <see cref="ScalarType"/> values.</summary>
public static class ScalarTypeExtensions
{
    public static int ElementSize(this ScalarType type) => type switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown scalar type"),
    };

    public static bool IsFloatingPoint(this ScalarType type) =>
        type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>Parses "fp32"/"float32"/"float", "fp16"/"float16"/"half", "bf16"/"bfloat16", "int32", "int64", "bool".</summary>
    public static ScalarType Parse(string name) => name.ToLowerInvariant() switch
    {
        "fp32" or "float32" or "float" => ScalarType.Float32,
        "fp16" or "float16" or "half" => ScalarType.Float16,
        "bf16" or "bfloat16" => ScalarType.BFloat16,
        "fp64" or "float64" or "double" => ScalarType.Float64,
        "int32" or "int" => ScalarType.Int32,
        "int64" or "long" => ScalarType.Int64,
        "bool" => ScalarType.Bool,
        "uint8" or "byte" => ScalarType.Byte,
        _ => throw new ArgumentException($"unknown dtype '{name}' (use fp32, fp16, bf16, int32, int64 or bool)", nameof(name)),
    };
}
