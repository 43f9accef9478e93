// Launchers of the fused CUDA kernels (kernels.cu). Raw pointers only, so nvcc never sees ATen headers.
// dtype: 0 = float32, 1 = float16, 2 = bfloat16. Every launcher returns the launch's cudaError_t as int.
#pragma once
#include <cstdint>

namespace ct_kernels {
// RMSNorm in two passes around a reduction done by ATen (so the mean is summed in PyTorch's order):
// rms_square: v = round(x + delta) (delta optional; then sum_out = v), sq = float(v)² as float32;
// rms_scale: out = w * round(v * r[row]) with r float32 per row.
int rms_square(int dtype, const void* x, const void* delta, void* sum_out, float* sq, int64_t n, void* stream);
int rms_scale(int dtype, const void* v, const float* r, const void* w, void* out, int64_t rows, int64_t cols, void* stream);
// Rotate-half RoPE of x viewed as [rows, heads, dim] (strides row_stride, head_stride, 1) with cos/sin
// [rows, dim]; writes contiguous out [rows, heads, dim]. Rounds like the unfused ops.
int rope(int dtype, const void* x, int64_t row_stride, int64_t head_stride, const void* cos, const void* sin,
         void* out, int64_t rows, int64_t heads, int64_t dim, void* stream);
// out[r, i] = silu(x[r, i]) * x[r, n + i] for x [rows, 2n] contiguous, rounding like the unfused ops.
int swiglu(int dtype, const void* x, void* out, int64_t rows, int64_t n, void* stream);
}  // namespace ct_kernels
