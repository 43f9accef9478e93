// Decode attention over the paged KV cache: the CUDA kernel of paged_attention.cu where it was built and applies
// (CUDA, half/bfloat16, supported head size and group), otherwise a float32 reference computed here with ATen ops
// (gathers each sequence's keys through its block table, padded and masked). Both take the same inputs.
#include "common.h"
#ifdef CLUSTER_TORCH_KERNELS
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime.h>
#include "paged_attention.h"
#endif
using ct::T;

namespace {
void check_inputs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& tables, const at::Tensor& lengths,
                  int64_t block_size) {
  TORCH_CHECK(q.dim() == 3, "paged decode attention: q must be [seqs, heads, dim], got ", q.sizes());
  TORCH_CHECK(k.dim() == 3 && v.sizes() == k.sizes(), "paged decode attention: k/v caches must be [slots, kv heads, dim] of one shape, got ",
              k.sizes(), " and ", v.sizes());
  TORCH_CHECK(k.size(2) == q.size(2), "paged decode attention: head dim of q (", q.size(2), ") and cache (", k.size(2), ") differ");
  TORCH_CHECK(q.size(1) % k.size(1) == 0, "paged decode attention: query heads ", q.size(1), " not a multiple of kv heads ", k.size(1));
  TORCH_CHECK(block_size >= 1 && k.size(0) % block_size == 0, "paged decode attention: cache slots ", k.size(0),
              " are not whole blocks of ", block_size);
  TORCH_CHECK(tables.dim() == 2 && tables.size(0) == q.size(0) && tables.size(1) >= 1 && tables.scalar_type() == at::kInt,
              "paged decode attention: block tables must be int32 [seqs, max blocks] with seqs = ", q.size(0), ", got ", tables.sizes(), " ",
              tables.scalar_type());
  TORCH_CHECK(lengths.dim() == 1 && lengths.size(0) == q.size(0) && lengths.scalar_type() == at::kInt,
              "paged decode attention: lengths must be int32 [seqs] with seqs = ", q.size(0), ", got ", lengths.sizes(), " ", lengths.scalar_type());
  TORCH_CHECK(q.device() == k.device() && q.device() == tables.device() && q.device() == lengths.device(),
              "paged decode attention: q, caches, block tables and lengths must be on one device");
  TORCH_CHECK(q.scalar_type() == k.scalar_type() && k.scalar_type() == v.scalar_type(), "paged decode attention: q and caches differ in dtype");
}

// Float32 reference: keys padded to the longest sequence (slot 0 behind a mask), grouped heads as query rows.
at::Tensor reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& tables, const at::Tensor& lengths,
                     int64_t block_size, double scale) {
  const int64_t s = q.size(0), hq = q.size(1), d = q.size(2), hkv = k.size(1), g = hq / hkv;
  auto len = lengths.to(at::kCPU, at::kLong);
  auto tab = tables.to(at::kCPU, at::kLong);
  int64_t longest = 1;
  for (int64_t i = 0; i < s; i++) {
    const int64_t n = len[i].item<int64_t>();
    TORCH_CHECK(n >= 0 && n <= tables.size(1) * block_size, "paged decode attention: sequence ", i, " has ", n, " keys, its block table ",
                tables.size(1) * block_size);
    longest = std::max(longest, n);
  }
  auto pos = at::arange(longest, at::kLong);                                          // [L]
  auto blocks = tab.index_select(1, at::floor_divide(pos, block_size).clamp_max(tables.size(1) - 1));  // [S, L]
  auto slots = blocks * block_size + at::remainder(pos, block_size);                 // [S, L]
  auto visible = pos.unsqueeze(0) < len.unsqueeze(1);                                 // [S, L]
  slots = slots.masked_fill(visible.logical_not(), 0).to(q.device());
  auto flat = slots.view({-1});
  auto keys = k.index_select(0, flat).to(at::kFloat).view({s, longest, hkv, d}).permute({0, 2, 3, 1});    // [S, Hkv, D, L]
  auto values = v.index_select(0, flat).to(at::kFloat).view({s, longest, hkv, d}).permute({0, 2, 1, 3});  // [S, Hkv, L, D]
  auto scores = at::matmul(q.to(at::kFloat).view({s, hkv, g, d}), keys) * scale;                          // [S, Hkv, G, L]
  scores = scores.masked_fill(visible.logical_not().to(q.device()).view({s, 1, 1, longest}), -INFINITY);
  auto probs = at::softmax(scores, -1).nan_to_num(0.0);                                                   // empty rows → 0
  return at::matmul(probs, values).view({s, hq, d}).to(q.scalar_type());                                  // [S, Hq, D]
}

#ifdef CLUSTER_TORCH_KERNELS
bool kernel_applies(const at::Tensor& q, const at::Tensor& k) {
  return q.is_cuda() && (q.scalar_type() == at::kHalf || q.scalar_type() == at::kBFloat16) && k.dim() == 3 && k.size(1) > 0 &&
         q.size(1) % k.size(1) == 0 && ct_kernels::paged_decode_supports(q.size(2), q.size(1) / k.size(1));
}

// Splits per (sequence, kv head) so the grid covers the device about twice, each split at least 64 keys (from the
// block table's capacity, so the choice depends on shapes only, never on data).
int auto_splits(int64_t seqs, int64_t kv_heads, int64_t max_keys, int device) {
  const int64_t sms = at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(device))->multiProcessorCount;
  const int64_t wanted = (2 * sms + seqs * kv_heads - 1) / (seqs * kv_heads);
  const int64_t most = std::max<int64_t>(1, (max_keys + 63) / 64);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({wanted, most, 32})));
}

at::Tensor run_kernel(const at::Tensor& q_in, const at::Tensor& k, const at::Tensor& v, const at::Tensor& tables_in, const at::Tensor& lengths_in,
                      int64_t block_size, double scale, int splits) {
  TORCH_CHECK(k.is_contiguous() && v.is_contiguous(), "paged decode attention: the caches must be contiguous");
  c10::cuda::CUDAGuard device_guard(q_in.device());   // the launch goes to the current device (a worker on cuda:N, N > 0)
  auto q = q_in.contiguous();
  auto tables = tables_in.contiguous();
  auto lengths = lengths_in.contiguous();
  for (const at::Tensor* t : std::initializer_list<const at::Tensor*>{&q, &k, &v}) {
    TORCH_CHECK(reinterpret_cast<uintptr_t>(t->data_ptr()) % 16 == 0, "paged decode attention: q and caches must be 16-byte aligned");
  }
  const int64_t s = q.size(0), hq = q.size(1), d = q.size(2), hkv = k.size(1), max_blocks = tables.size(1);
  auto out = at::empty_like(q);
  if (s == 0) return out;
  if (splits <= 0) splits = auto_splits(s, hkv, max_blocks * block_size, q.device().index());
  at::Tensor ws;
  if (splits > 1) ws = at::empty({s * hq * splits * (d + 2)}, q.options().dtype(at::kFloat));
  const int status = ct_kernels::paged_decode(q.scalar_type() == at::kHalf ? 1 : 2, q.data_ptr(), k.data_ptr(), v.data_ptr(),
      tables.data_ptr<int>(), lengths.data_ptr<int>(), out.data_ptr(), splits > 1 ? ws.data_ptr<float>() : nullptr, s, hq, hkv, d,
      block_size, max_blocks, splits, static_cast<float>(scale), c10::cuda::getCurrentCUDAStream(q.device().index()).stream());
  if (status != 0) throw std::runtime_error(std::string("paged decode kernel: ") + cudaGetErrorString(static_cast<cudaError_t>(status)));
  return out;
}
#endif
}  // namespace

CT_EXPORT int ct_paged_decode_applies(void* q, void* k) {
  try {
#ifdef CLUSTER_TORCH_KERNELS
    return kernel_applies(T(q), T(k)) ? 1 : 0;
#else
    (void)T(q); (void)T(k);
    return 0;
#endif
  }
  CT_CATCH(-1)
}

// q [S, Hq, D]; k/v caches [slots, Hkv, D] (slot = block · block_size + offset); block tables int32 [S, max blocks];
// lengths int32 [S]. splits: key-range splits of the kernel (0 = chosen from the shapes). reference: force the ATen path.
CT_EXPORT void* ct_paged_decode_attention(void* q, void* k, void* v, void* tables, void* lengths, int64_t block_size, double scale,
                                          int splits, int reference_only) {
  CT_TENSOR([&] {
    auto& qt = T(q);
    auto& kt = T(k);
    auto& vt = T(v);
    check_inputs(qt, kt, vt, T(tables), T(lengths), block_size);
#ifdef CLUSTER_TORCH_KERNELS
    if (!reference_only && kernel_applies(qt, kt)) return run_kernel(qt, kt, vt, T(tables), T(lengths), block_size, scale, splits);
#else
    (void)splits; (void)reference_only;
#endif
    return reference(qt, kt, vt, T(tables), T(lengths), block_size, scale);
  }())
}
