// Fused element-wise/row kernels for the CUDA build. They reproduce the rounding of the unfused PyTorch
// ops they replace (Hugging Face's precision: float math, rounded to the tensor dtype after each op).
#include "kernels.h"
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace {
template <typename T> __device__ __forceinline__ float to_f(T v);
template <> __device__ __forceinline__ float to_f(float v) { return v; }
template <> __device__ __forceinline__ float to_f(__half v) { return __half2float(v); }
template <> __device__ __forceinline__ float to_f(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T> __device__ __forceinline__ T from_f(float v);
template <> __device__ __forceinline__ float from_f(float v) { return v; }
template <> __device__ __forceinline__ __half from_f(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 from_f(float v) { return __float2bfloat16_rn(v); }
template <typename T> __device__ __forceinline__ float round_f(float v) { return to_f(from_f<T>(v)); }

constexpr int kThreads = 256;  // a product that is rounded on its own uses __fmul_rn, so nvcc cannot fuse it into an FMA

template <typename T>
__global__ void rms_square_kernel(const T* __restrict__ x, const T* __restrict__ delta, T* __restrict__ sum_out,
                                  float* __restrict__ sq, int64_t n) {
  for (int64_t p = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; p < n; p += (int64_t)gridDim.x * blockDim.x) {
    float v = to_f(x[p]);
    if (delta) {
      v = round_f<T>(v + to_f(delta[p]));
      sum_out[p] = from_f<T>(v);
    }
    sq[p] = __fmul_rn(v, v);
  }
}

template <typename T>
__global__ void rms_scale_kernel(const T* __restrict__ v, const float* __restrict__ r, const T* __restrict__ w,
                                 T* __restrict__ out, int64_t rows, int64_t cols) {
  for (int64_t row = blockIdx.y; row < rows; row += gridDim.y) {
    const float scale = r[row];
    const T* vr = v + row * cols;
    T* o = out + row * cols;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < cols; i += (int64_t)gridDim.x * blockDim.x) {
      const float normed = round_f<T>(__fmul_rn(to_f(vr[i]), scale));
      o[i] = from_f<T>(__fmul_rn(to_f(w[i]), normed));
    }
  }
}

template <typename T>
__global__ void rope_kernel(const T* __restrict__ x, int64_t row_stride, int64_t head_stride, const T* __restrict__ cos,
                            const T* __restrict__ sin, T* __restrict__ out, int64_t rows, int64_t heads, int64_t dim) {
  const int64_t half = dim / 2;
  const int64_t total = rows * heads * half;
  for (int64_t p = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; p < total; p += (int64_t)gridDim.x * blockDim.x) {
    const int64_t i = p % half;
    const int64_t rh = p / half;
    const int64_t h = rh % heads;
    const int64_t r = rh / heads;
    const T* xp = x + r * row_stride + h * head_stride;
    const float x1 = to_f(xp[i]), x2 = to_f(xp[i + half]);
    const T* c = cos + r * dim;
    const T* s = sin + r * dim;
    T* o = out + (r * heads + h) * dim;
    o[i] = from_f<T>(round_f<T>(x1 * to_f(c[i])) + round_f<T>(-x2 * to_f(s[i])));
    o[i + half] = from_f<T>(round_f<T>(x2 * to_f(c[i + half])) + round_f<T>(x1 * to_f(s[i + half])));
  }
}

template <typename T>
__global__ void swiglu_kernel(const T* __restrict__ x, T* __restrict__ out, int64_t rows, int64_t n) {
  const int64_t total = rows * n;
  for (int64_t p = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; p < total; p += (int64_t)gridDim.x * blockDim.x) {
    const int64_t r = p / n, i = p % n;
    const float g = to_f(x[r * 2 * n + i]);
    const float silu = round_f<T>(g / (1.0f + expf(-g)));
    out[p] = from_f<T>(silu * to_f(x[r * 2 * n + n + i]));
  }
}

int grid_for(int64_t work) {
  int64_t blocks = (work + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}

template <typename F>
int dispatch(int dtype, F f) {
  switch (dtype) {
    case 0: f(float{}); break;
    case 1: f(__half{}); break;
    case 2: f(__nv_bfloat16{}); break;
    default: return static_cast<int>(cudaErrorInvalidValue);
  }
  return static_cast<int>(cudaGetLastError());
}
}  // namespace

namespace ct_kernels {
int rms_square(int dtype, const void* x, const void* delta, void* sum_out, float* sq, int64_t n, void* stream) {
  return dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    rms_square_kernel<T><<<grid_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
        static_cast<const T*>(x), static_cast<const T*>(delta), static_cast<T*>(sum_out), sq, n);
  });
}

int rms_scale(int dtype, const void* v, const float* r, const void* w, void* out, int64_t rows, int64_t cols, void* stream) {
  return dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    dim3 grid(static_cast<unsigned>((cols + kThreads - 1) / kThreads), static_cast<unsigned>(rows < 65535 ? rows : 65535));
    rms_scale_kernel<T><<<grid, kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
        static_cast<const T*>(v), r, static_cast<const T*>(w), static_cast<T*>(out), rows, cols);
  });
}

int rope(int dtype, const void* x, int64_t row_stride, int64_t head_stride, const void* cos, const void* sin,
         void* out, int64_t rows, int64_t heads, int64_t dim, void* stream) {
  return dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    rope_kernel<T><<<grid_for(rows * heads * dim / 2), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
        static_cast<const T*>(x), row_stride, head_stride, static_cast<const T*>(cos), static_cast<const T*>(sin),
        static_cast<T*>(out), rows, heads, dim);
  });
}

int swiglu(int dtype, const void* x, void* out, int64_t rows, int64_t n, void* stream) {
  return dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    swiglu_kernel<T><<<grid_for(rows * n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
        static_cast<const T*>(x), static_cast<T*>(out), rows, n);
  });
}
}  // namespace ct_kernels
