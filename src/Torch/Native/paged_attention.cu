// Paged decode attention (one query token per sequence) read straight from the paged KV cache, float32 accumulation
// with an online softmax. One thread block per (sequence, KV head, split): its 4 warps walk the split's keys, each warp
// in groups of L lanes per key (each lane holds 8 of the D dimensions, loaded as one 16-byte vector), so a warp reads
// 32 / L keys at once; every group keeps its own running max / sum / accumulator for all G query heads sharing the KV
// head (with CT_PAGED_KEYS_IN_FLIGHT=2, for D 64 and 128, each group loads two keys before computing either), and the
// groups are merged at the end (shuffles within a warp, shared memory across warps). With several splits
// (FlashDecoding) each block writes an unnormalised partial to a float32 workspace and a second kernel merges them.
#include "paged_attention.h"
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cstdlib>
#include <cstring>

namespace {
constexpr int kWarps = 4;
constexpr float kNoScore = -1e30f;  // finite "minus infinity": exp2(kNoScore − kNoScore) stays 1, never NaN

__device__ __forceinline__ void to_float8(const uint4& raw, float* f, __half) {
  const __half2* h = reinterpret_cast<const __half2*>(&raw);
#pragma unroll
  for (int i = 0; i < 4; i++) {
    const float2 v = __half22float2(h[i]);
    f[2 * i] = v.x;
    f[2 * i + 1] = v.y;
  }
}
__device__ __forceinline__ void to_float8(const uint4& raw, float* f, __nv_bfloat16) {
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
  for (int i = 0; i < 4; i++) {
    const float2 v = __bfloat1622float2(h[i]);
    f[2 * i] = v.x;
    f[2 * i + 1] = v.y;
  }
}
__device__ __forceinline__ __half from_float(float v, __half) { return __float2half_rn(v); }
__device__ __forceinline__ __nv_bfloat16 from_float(float v, __nv_bfloat16) { return __float2bfloat16_rn(v); }

template <typename T, int G, int L, int U>
__global__ void __launch_bounds__(kWarps * 32) paged_decode_kernel(
    const T* __restrict__ q, const T* __restrict__ kc, const T* __restrict__ vc, const int* __restrict__ tables,
    const int* __restrict__ lengths, T* __restrict__ out, float* __restrict__ ws, int kv_heads, int block_size,
    int max_blocks, int splits, int split_len, float scale_log2) {
  constexpr int D = 8 * L, kGroups = 32 / L, kStreams = kWarps * kGroups;
  const int s = blockIdx.x, h = blockIdx.y, split = blockIdx.z;
  const int q_heads = kv_heads * G;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, sub = lane % L, group = lane / L;
  const int len = lengths[s];
  const int begin = split * split_len;
  const int end = min(len, begin + split_len);
  const int* table = tables + static_cast<int64_t>(s) * max_blocks;

  float qv[G][8], acc[G][8], m[G], l[G];
#pragma unroll
  for (int g = 0; g < G; g++) {
    const uint4 raw = *reinterpret_cast<const uint4*>(q + (static_cast<int64_t>(s) * q_heads + h * G + g) * D + sub * 8);
    to_float8(raw, qv[g], T{});
#pragma unroll
    for (int i = 0; i < 8; i++) {
      qv[g][i] *= scale_log2;
      acc[g][i] = 0.0f;
    }
    m[g] = kNoScore;
    l[g] = 0.0f;
  }

  // Warp-uniform loop (the shuffles need every lane); lanes past the end compute on zeros and do not update. Each
  // warp takes U · kGroups consecutive keys per step and loads all of them before computing (U keys in flight per
  // lane group: more memory-level parallelism); the warps' chunks interleave with a stride of kStreams · U.
  for (int first = begin + warp * kGroups * U; first < end; first += kStreams * U) {
    uint4 kraw[U], vraw[U];
    bool valid[U];
#pragma unroll
    for (int u = 0; u < U; u++) {
      const int p = first + u * kGroups + group;
      valid[u] = p < end;
      kraw[u] = make_uint4(0, 0, 0, 0);
      vraw[u] = make_uint4(0, 0, 0, 0);
      if (valid[u]) {
        const int64_t slot = static_cast<int64_t>(table[p / block_size]) * block_size + p % block_size;
        const int64_t offset = (slot * kv_heads + h) * D + sub * 8;
        kraw[u] = *reinterpret_cast<const uint4*>(kc + offset);
        vraw[u] = *reinterpret_cast<const uint4*>(vc + offset);
      }
    }
#pragma unroll
    for (int u = 0; u < U; u++) {
      float kf[8], vf[8];
      to_float8(kraw[u], kf, T{});
      to_float8(vraw[u], vf, T{});
#pragma unroll
      for (int g = 0; g < G; g++) {
        float dot = 0.0f;
#pragma unroll
        for (int i = 0; i < 8; i++) dot = fmaf(qv[g][i], kf[i], dot);
#pragma unroll
        for (int off = L / 2; off > 0; off /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, off);
        if (valid[u]) {
          const float mn = fmaxf(m[g], dot);
          const float c = exp2f(m[g] - mn), pr = exp2f(dot - mn);
          l[g] = l[g] * c + pr;
#pragma unroll
          for (int i = 0; i < 8; i++) acc[g][i] = fmaf(pr, vf[i], acc[g][i] * c);
          m[g] = mn;
        }
      }
    }
  }

  // Merge the key groups of this warp (lanes holding the same dimensions are L apart).
#pragma unroll
  for (int off = L; off < 32; off *= 2) {
#pragma unroll
    for (int g = 0; g < G; g++) {
      const float mo = __shfl_xor_sync(0xffffffffu, m[g], off), lo = __shfl_xor_sync(0xffffffffu, l[g], off);
      const float mn = fmaxf(m[g], mo);
      const float ca = exp2f(m[g] - mn), cb = exp2f(mo - mn);
#pragma unroll
      for (int i = 0; i < 8; i++) {
        const float ao = __shfl_xor_sync(0xffffffffu, acc[g][i], off);
        acc[g][i] = acc[g][i] * ca + ao * cb;
      }
      l[g] = l[g] * ca + lo * cb;
      m[g] = mn;
    }
  }

  // Merge the warps through shared memory.
  __shared__ float sm_acc[kWarps][G][D];
  __shared__ float sm_m[kWarps][G], sm_l[kWarps][G];
  if (group == 0) {
#pragma unroll
    for (int g = 0; g < G; g++) {
#pragma unroll
      for (int i = 0; i < 8; i++) sm_acc[warp][g][sub * 8 + i] = acc[g][i];
      if (sub == 0) {
        sm_m[warp][g] = m[g];
        sm_l[warp][g] = l[g];
      }
    }
  }
  __syncthreads();
  for (int t = threadIdx.x; t < G * D; t += kWarps * 32) {
    const int g = t / D, d = t % D;
    float mx = kNoScore;
#pragma unroll
    for (int w = 0; w < kWarps; w++) mx = fmaxf(mx, sm_m[w][g]);
    float sum = 0.0f, a = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; w++) {
      const float c = exp2f(sm_m[w][g] - mx);
      sum += sm_l[w][g] * c;
      a += sm_acc[w][g][d] * c;
    }
    const int64_t row = static_cast<int64_t>(s) * q_heads + h * G + g;  // [S, Hq] row
    if (splits == 1) {
      out[row * D + d] = from_float(sum > 0.0f ? a / sum : 0.0f, T{});
    } else {
      const int64_t rows = static_cast<int64_t>(gridDim.x) * q_heads;
      ws[(row * splits + split) * D + d] = a;
      if (d == 0) {
        ws[rows * splits * D + row * splits + split] = mx;
        ws[rows * splits * D + rows * splits + row * splits + split] = sum;
      }
    }
  }
}

// One block per (sequence, query head), D threads: merges the splits' partials.
template <typename T>
__global__ void paged_decode_merge_kernel(const float* __restrict__ ws, T* __restrict__ out, int64_t rows, int splits, int D) {
  const int64_t row = blockIdx.x;
  const int d = threadIdx.x;
  const float* part_m = ws + rows * splits * D + row * splits;
  const float* part_l = ws + rows * splits * D + rows * splits + row * splits;
  float mx = kNoScore;
  for (int i = 0; i < splits; i++) mx = fmaxf(mx, part_m[i]);
  float sum = 0.0f, a = 0.0f;
  for (int i = 0; i < splits; i++) {
    const float c = exp2f(part_m[i] - mx);
    sum += part_l[i] * c;
    a += ws[(row * splits + i) * D + d] * c;
  }
  out[row * D + d] = from_float(sum > 0.0f ? a / sum : 0.0f, T{});
}

template <typename T, int G, int L, int U>
void launch(const void* q, const void* k, const void* v, const int* tables, const int* lengths, void* out, float* ws,
            int64_t seqs, int64_t q_heads, int64_t kv_heads, int64_t block_size, int64_t max_blocks, int splits, float scale,
            cudaStream_t stream) {
  const int64_t max_keys = max_blocks * block_size;
  const int split_len = static_cast<int>((max_keys + splits - 1) / splits);
  dim3 grid(static_cast<unsigned>(seqs), static_cast<unsigned>(kv_heads), static_cast<unsigned>(splits));
  paged_decode_kernel<T, G, L, U><<<grid, kWarps * 32, 0, stream>>>(
      static_cast<const T*>(q), static_cast<const T*>(k), static_cast<const T*>(v), tables, lengths, static_cast<T*>(out), ws,
      static_cast<int>(kv_heads), static_cast<int>(block_size), static_cast<int>(max_blocks), splits, split_len,
      scale * 1.4426950408889634f);
  if (splits > 1) {
    paged_decode_merge_kernel<T><<<static_cast<unsigned>(seqs * q_heads), 8 * L, 0, stream>>>(ws, static_cast<T*>(out), seqs * q_heads, splits, 8 * L);
  }
}

// Keys in flight per lane group (CT_PAGED_KEYS_IN_FLIGHT = 1 or 2; read once; default 1). 2 is built for D 64 and 128
// only (the Llama 1B and 8B shapes) and is an experiment until measured: run_paged_kernel_gpu.sh times both in one run.
int keys_in_flight() {
  static const int value = [] {
    const char* text = std::getenv("CT_PAGED_KEYS_IN_FLIGHT");
    return text != nullptr && std::strcmp(text, "2") == 0 ? 2 : 1;
  }();
  return value;
}

template <typename T, int G>
bool by_dim(int64_t d, const void* q, const void* k, const void* v, const int* tables, const int* lengths, void* out, float* ws,
            int64_t seqs, int64_t q_heads, int64_t kv_heads, int64_t block_size, int64_t max_blocks, int splits, float scale, cudaStream_t st) {
  const bool two = keys_in_flight() == 2;
  switch (d) {
    case 32: launch<T, G, 4, 1>(q, k, v, tables, lengths, out, ws, seqs, q_heads, kv_heads, block_size, max_blocks, splits, scale, st); return true;
    case 64:
      if (two) launch<T, G, 8, 2>(q, k, v, tables, lengths, out, ws, seqs, q_heads, kv_heads, block_size, max_blocks, splits, scale, st);
      else launch<T, G, 8, 1>(q, k, v, tables, lengths, out, ws, seqs, q_heads, kv_heads, block_size, max_blocks, splits, scale, st);
      return true;
    case 128:
      if (two) launch<T, G, 16, 2>(q, k, v, tables, lengths, out, ws, seqs, q_heads, kv_heads, block_size, max_blocks, splits, scale, st);
      else launch<T, G, 16, 1>(q, k, v, tables, lengths, out, ws, seqs, q_heads, kv_heads, block_size, max_blocks, splits, scale, st);
      return true;
    case 256: launch<T, G, 32, 1>(q, k, v, tables, lengths, out, ws, seqs, q_heads, kv_heads, block_size, max_blocks, splits, scale, st); return true;
    default: return false;
  }
}

template <typename T>
bool by_group(int64_t g, int64_t d, const void* q, const void* k, const void* v, const int* tables, const int* lengths, void* out,
              float* ws, int64_t seqs, int64_t q_heads, int64_t kv_heads, int64_t block_size, int64_t max_blocks, int splits,
              float scale, cudaStream_t st) {
  switch (g) {
    case 1: return by_dim<T, 1>(d, q, k, v, tables, lengths, out, ws, seqs, q_heads, kv_heads, block_size, max_blocks, splits, scale, st);
    case 2: return by_dim<T, 2>(d, q, k, v, tables, lengths, out, ws, seqs, q_heads, kv_heads, block_size, max_blocks, splits, scale, st);
    case 4: return by_dim<T, 4>(d, q, k, v, tables, lengths, out, ws, seqs, q_heads, kv_heads, block_size, max_blocks, splits, scale, st);
    case 8: return by_dim<T, 8>(d, q, k, v, tables, lengths, out, ws, seqs, q_heads, kv_heads, block_size, max_blocks, splits, scale, st);
    default: return false;
  }
}
}  // namespace

namespace ct_kernels {
bool paged_decode_supports(int64_t head_dim, int64_t group) {
  return (head_dim == 32 || head_dim == 64 || head_dim == 128 || head_dim == 256) && (group == 1 || group == 2 || group == 4 || group == 8);
}

int paged_decode(int dtype, const void* q, const void* k_cache, const void* v_cache, const int* block_tables, const int* lengths,
                 void* out, float* workspace, int64_t seqs, int64_t q_heads, int64_t kv_heads, int64_t head_dim, int64_t block_size,
                 int64_t max_blocks, int splits, float scale, void* stream) {
  if (seqs == 0) return 0;
  const auto st = static_cast<cudaStream_t>(stream);
  const int64_t group = q_heads / kv_heads;
  bool launched = false;
  if (dtype == 1) {
    launched = by_group<__half>(group, head_dim, q, k_cache, v_cache, block_tables, lengths, out, workspace, seqs, q_heads, kv_heads,
                                block_size, max_blocks, splits, scale, st);
  } else if (dtype == 2) {
    launched = by_group<__nv_bfloat16>(group, head_dim, q, k_cache, v_cache, block_tables, lengths, out, workspace, seqs, q_heads,
                                       kv_heads, block_size, max_blocks, splits, scale, st);
  }
  if (!launched) return static_cast<int>(cudaErrorInvalidValue);
  return static_cast<int>(cudaGetLastError());
}
}  // namespace ct_kernels
