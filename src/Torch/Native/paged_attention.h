// Launcher of the paged decode-attention kernel (paged_attention.cu). Raw pointers only, so nvcc never sees ATen headers.
// dtype: 1 = float16, 2 = bfloat16. Returns the launch's cudaError_t as int.
#pragma once
#include <cstdint>

namespace ct_kernels {
// Decode attention straight over the paged cache: one query token per sequence, grouped-query heads.
// q [S, Hq, D] contiguous; k_cache/v_cache [slots, Hkv, D] contiguous with slot = block · block_size + offset;
// block_tables int32 [S, max_blocks]; lengths int32 [S] (keys 0 … length − 1 are visible); out [S, Hq, D].
// splits > 1: key range split in `splits` parts (FlashDecoding), partials in the float32 workspace
// (acc [S, Hq, splits, D], then max and sum [S, Hq, splits] each) merged by a second kernel.
// Supported: D in {32, 64, 128, 256}, Hq / Hkv in {1, 2, 4, 8, 16}.
bool paged_decode_supports(int64_t head_dim, int64_t group);
int paged_decode(int dtype, const void* q, const void* k_cache, const void* v_cache, const int* block_tables,
                 const int* lengths, void* out, float* workspace, int64_t seqs, int64_t q_heads, int64_t kv_heads,
                 int64_t head_dim, int64_t block_size, int64_t max_blocks, int splits, float scale, void* stream);
}  // namespace ct_kernels
