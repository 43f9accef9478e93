namespace Cluster.Torch;

/// <summary>Element types, numbered as c10::ScalarType (and TorchSharp's ScalarType).</summary>
#pragma warning disable CA1720 // Identifiers match torch's dtype names.
public enum ScalarType
{
    Byte = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Float16 = 5,
    Float32 = 6,
    Float64 = 7,
    Bool = 11,
    BFloat16 = 15,
}
#pragma warning restore CA1720
