// Launchers of the fused CUDA kernels (kernels.cu). Raw pointers only, so nvcc never sees ATen headers.
// dtype: 0 = float32, 1 = float16, 2 = bfloat16. Every launcher returns the launch's cudaError_t as int.
#pragma once
#include <cstdint>

namespace ct_kernels {
// out = w * round(v * rsqrt(mean(v²) + eps)) per row, v = round(x + delta) (delta optional; then sum_out = v).
int rms_norm(int dtype, const void* x, const void* delta, const void* w, void* sum_out, void* out,
             int64_t rows, int64_t cols, float eps, void* stream);
// Rotate-half RoPE of x viewed as [rows, heads, dim] (strides row_stride, head_stride, 1) with cos/sin
// [rows, dim]; writes contiguous out [rows, heads, dim]. Rounds like the unfused ops.
int rope(int dtype, const void* x, int64_t row_stride, int64_t head_stride, const void* cos, const void* sin,
         void* out, int64_t rows, int64_t heads, int64_t dim, void* stream);
// out[r, i] = silu(x[r, i]) * x[r, n + i] for x [rows, 2n] contiguous, rounding like the unfused ops.
int swiglu(int dtype, const void* x, void* out, int64_t rows, int64_t n, void* stream);
}  // namespace ct_kernels
