// Ops exported to Cluster.Torch. Ops only: the model is written in C#.
#include "common.h"

static thread_local std::string g_error;
void ct::set_error(const char* message) { g_error = message ? message : "(null)"; }
using ct::T;

// ---- errors, versions, threads ------------------------------------------------------------------
CT_EXPORT const char* ct_last_error() { return g_error.c_str(); }
CT_EXPORT const char* ct_version() { return TORCH_VERSION; }
CT_EXPORT int ct_set_num_threads(int n) { CT_STATUS(at::set_num_threads(n)) }
CT_EXPORT int ct_get_num_threads() { return at::get_num_threads(); }

// ---- lifetime and metadata ---------------------------------------------------------------------
CT_EXPORT void ct_free(void* t) { delete static_cast<at::Tensor*>(t); }
CT_EXPORT int ct_ndim(void* t) { try { return static_cast<int>(T(t).dim()); } CT_CATCH(-1) }
CT_EXPORT int ct_shape(void* t, int64_t* out) {
  CT_STATUS(auto s = T(t).sizes(); std::copy(s.begin(), s.end(), out))
}
CT_EXPORT int ct_strides(void* t, int64_t* out) {
  CT_STATUS(auto s = T(t).strides(); std::copy(s.begin(), s.end(), out))
}
CT_EXPORT int ct_dtype(void* t) { try { return static_cast<int>(T(t).scalar_type()); } CT_CATCH(-1) }
CT_EXPORT int ct_device(void* t, int* type, int* index) {
  CT_STATUS(auto d = T(t).device(); *type = static_cast<int>(d.type()); *index = d.has_index() ? d.index() : 0)
}
CT_EXPORT void* ct_data_ptr(void* t) { try { return T(t).data_ptr(); } CT_CATCH(nullptr) }

// ---- creation ----------------------------------------------------------------------------------
CT_EXPORT void* ct_empty(const int64_t* shape, int n, int dtype, int dt, int di) {
  CT_TENSOR(at::empty(ct::dims(shape, n), ct::options(dtype, dt, di)))
}
CT_EXPORT void* ct_full(const int64_t* shape, int n, double value, int dtype, int dt, int di) {
  CT_TENSOR(at::full(ct::dims(shape, n), value, ct::options(dtype, dt, di)))
}
CT_EXPORT void* ct_arange(double start, double end, double step, int dtype, int dt, int di) {
  CT_TENSOR(at::arange(start, end, step, ct::options(dtype, dt, di)))
}
// Copies host memory (any layout the caller describes as contiguous) into a new tensor on the device.
CT_EXPORT void* ct_from_host(const void* data, const int64_t* shape, int n, int dtype, int dt, int di) {
  CT_TENSOR(at::from_blob(const_cast<void*>(data), ct::dims(shape, n), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)))
                .to(ct::device(dt, di), /*non_blocking=*/false, /*copy=*/true))
}
// One copy straight into the destination (no intermediate host tensor); pageable, so it waits for the copy.
CT_EXPORT int ct_to_host(void* t, void* dst, int64_t nbytes) {
  CT_STATUS(
    auto& src = T(t);
    int64_t have = static_cast<int64_t>(src.numel() * src.element_size());
    TORCH_CHECK(have == nbytes, "ct_to_host: tensor holds ", have, " bytes, destination ", nbytes);
    if (nbytes == 0) return 0;
    at::from_blob(dst, src.sizes(), at::TensorOptions().dtype(src.scalar_type())).copy_(src))
}
// Normal(mean, std) from a CPU generator seeded with `seed`: deterministic for a seed and shape.
CT_EXPORT void* ct_randn(const int64_t* shape, int n, double mean, double std, uint64_t seed, int dtype) {
  CT_TENSOR(
    [&] {
      auto gen = at::detail::createCPUGenerator(seed);
      auto x = at::empty(ct::dims(shape, n), at::kFloat);
      x.normal_(mean, std, gen);
      return x.to(static_cast<at::ScalarType>(dtype));
    }())
}

// ---- conversion and views ----------------------------------------------------------------------
CT_EXPORT void* ct_to(void* t, int dtype, int dt, int di, int non_blocking) {
  CT_TENSOR(T(t).to(ct::device(dt, di), static_cast<at::ScalarType>(dtype), non_blocking != 0, false))
}
CT_EXPORT void* ct_clone(void* t) { CT_TENSOR(T(t).clone()) }
CT_EXPORT void* ct_contiguous(void* t) { CT_TENSOR(T(t).contiguous()) }
CT_EXPORT void* ct_view(void* t, const int64_t* shape, int n) { CT_TENSOR(T(t).view(ct::dims(shape, n))) }
CT_EXPORT void* ct_reshape(void* t, const int64_t* shape, int n) { CT_TENSOR(T(t).reshape(ct::dims(shape, n))) }
CT_EXPORT void* ct_expand(void* t, const int64_t* shape, int n) { CT_TENSOR(T(t).expand(ct::dims(shape, n))) }
CT_EXPORT void* ct_permute(void* t, const int64_t* dims, int n) { CT_TENSOR(T(t).permute(ct::dims(dims, n))) }
CT_EXPORT void* ct_transpose(void* t, int64_t a, int64_t b) { CT_TENSOR(T(t).transpose(a, b)) }
CT_EXPORT void* ct_narrow(void* t, int64_t dim, int64_t start, int64_t len) { CT_TENSOR(T(t).narrow(dim, start, len)) }
CT_EXPORT void* ct_select(void* t, int64_t dim, int64_t index) { CT_TENSOR(T(t).select(dim, index)) }
CT_EXPORT void* ct_unsqueeze(void* t, int64_t dim) { CT_TENSOR(T(t).unsqueeze(dim)) }
CT_EXPORT void* ct_squeeze(void* t, int64_t dim) { CT_TENSOR(T(t).squeeze(dim)) }
CT_EXPORT void* ct_index_select(void* t, int64_t dim, void* index) { CT_TENSOR(at::index_select(T(t), dim, T(index))) }
CT_EXPORT void* ct_gather(void* t, int64_t dim, void* index) { CT_TENSOR(at::gather(T(t), dim, T(index))) }
CT_EXPORT void* ct_cat(void** ts, int n, int64_t dim) {
  CT_TENSOR([&] {
    std::vector<at::Tensor> v;
    for (int i = 0; i < n; i++) v.push_back(T(ts[i]));
    return at::cat(v, dim);
  }())
}

// ---- element-wise ------------------------------------------------------------------------------
enum BinaryOp { ADD, SUB, MUL, DIV, EQ, NE, LT, LE, GT, GE, MAXIMUM, MINIMUM, POW, LOGICAL_AND, LOGICAL_OR };
static at::Tensor binary(int op, const at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case ADD: return a + b;            case SUB: return a - b;
    case MUL: return a * b;            case DIV: return a / b;
    case EQ: return a.eq(b);           case NE: return a.ne(b);
    case LT: return a.lt(b);           case LE: return a.le(b);
    case GT: return a.gt(b);           case GE: return a.ge(b);
    case MAXIMUM: return at::maximum(a, b); case MINIMUM: return at::minimum(a, b);
    case POW: return a.pow(b);
    case LOGICAL_AND: return a.logical_and(b); case LOGICAL_OR: return a.logical_or(b);
  }
  throw std::invalid_argument("unknown binary op " + std::to_string(op));
}
CT_EXPORT void* ct_binary(int op, void* a, void* b) { CT_TENSOR(binary(op, T(a), T(b))) }
CT_EXPORT void* ct_binary_scalar(int op, void* a, double s) {
  CT_TENSOR(binary(op, T(a), at::scalar_tensor(s, at::TensorOptions().dtype(at::kDouble))))
}

enum UnaryOp { NEG, EXP, LOG, SQRT, RSQRT, SILU, SIGMOID, COS, SIN, ABS, LOGICAL_NOT, RECIPROCAL, TANH };
CT_EXPORT void* ct_unary(int op, void* a) {
  CT_TENSOR([&] {
    const at::Tensor& x = T(a);
    switch (op) {
      case NEG: return -x;        case EXP: return x.exp();      case LOG: return x.log();
      case SQRT: return x.sqrt(); case RSQRT: return x.rsqrt();  case SILU: return at::silu(x);
      case SIGMOID: return x.sigmoid(); case COS: return x.cos(); case SIN: return x.sin();
      case ABS: return x.abs();   case LOGICAL_NOT: return x.logical_not();
      case RECIPROCAL: return x.reciprocal(); case TANH: return x.tanh();
    }
    throw std::invalid_argument("unknown unary op " + std::to_string(op));
  }())
}
CT_EXPORT void* ct_where(void* cond, void* a, void* b) { CT_TENSOR(at::where(T(cond), T(a), T(b))) }
CT_EXPORT void* ct_masked_fill(void* t, void* mask, double value) { CT_TENSOR(T(t).masked_fill(T(mask), value)) }
CT_EXPORT void* ct_clamp(void* t, double lo, double hi) { CT_TENSOR(T(t).clamp(lo, hi)) }

// ---- linear algebra and reductions -------------------------------------------------------------
CT_EXPORT void* ct_matmul(void* a, void* b) { CT_TENSOR(at::matmul(T(a), T(b))) }
CT_EXPORT void* ct_linear(void* x, void* w, void* b) {
  CT_TENSOR(b ? at::linear(T(x), T(w), T(b)) : at::linear(T(x), T(w)))
}
enum ReduceOp { SUM, MEAN, AMAX, AMIN, ARGMAX, ARGMIN };
CT_EXPORT void* ct_reduce(int op, void* t, int64_t dim, int keepdim, int all) {
  CT_TENSOR([&] {
    const at::Tensor& x = T(t);
    bool k = keepdim != 0;
    switch (op) {
      case SUM: return all ? x.sum() : x.sum(dim, k);
      case MEAN: return all ? x.mean() : x.mean(dim, k);
      case AMAX: return all ? x.amax() : x.amax(dim, k);
      case AMIN: return all ? x.amin() : x.amin(dim, k);
      case ARGMAX: return all ? x.argmax() : x.argmax(dim, k);
      case ARGMIN: return all ? x.argmin() : x.argmin(dim, k);
    }
    throw std::invalid_argument("unknown reduce op " + std::to_string(op));
  }())
}
CT_EXPORT void* ct_softmax(void* t, int64_t dim) { CT_TENSOR(at::softmax(T(t), dim)) }
CT_EXPORT void* ct_log_softmax(void* t, int64_t dim) { CT_TENSOR(at::log_softmax(T(t), dim)) }
CT_EXPORT void* ct_cumsum(void* t, int64_t dim) { CT_TENSOR(at::cumsum(T(t), dim)) }
CT_EXPORT int ct_topk(void* t, int64_t k, int64_t dim, int largest, void** values, void** indices) {
  CT_STATUS(auto r = at::topk(T(t), k, dim, largest != 0, true);
            *values = ct::wrap(std::get<0>(r)); *indices = ct::wrap(std::get<1>(r)))
}
CT_EXPORT int ct_sort(void* t, int64_t dim, int descending, void** values, void** indices) {
  CT_STATUS(auto r = at::sort(T(t), dim, descending != 0);
            *values = ct::wrap(std::get<0>(r)); *indices = ct::wrap(std::get<1>(r)))
}
CT_EXPORT int ct_item(void* t, double* out) { CT_STATUS(*out = T(t).item<double>()) }
CT_EXPORT int ct_item_long(void* t, int64_t* out) { CT_STATUS(*out = T(t).item<int64_t>()) }

// ---- in-place ----------------------------------------------------------------------------------
CT_EXPORT int ct_copy_(void* dst, void* src, int non_blocking) { CT_STATUS(T(dst).copy_(T(src), non_blocking != 0)) }
CT_EXPORT int ct_fill_(void* t, double v) { CT_STATUS(T(t).fill_(v)) }
CT_EXPORT int ct_index_copy_(void* dst, int64_t dim, void* index, void* src) { CT_STATUS(T(dst).index_copy_(dim, T(index), T(src))) }
CT_EXPORT int ct_index_add_(void* dst, int64_t dim, void* index, void* src) { CT_STATUS(T(dst).index_add_(dim, T(index), T(src))) }
CT_EXPORT int ct_masked_fill_(void* t, void* mask, double v) { CT_STATUS(T(t).masked_fill_(T(mask), v)) }

// ---- CUDA memory (the KV cache sizes itself from the free memory) -----------------------------------
#ifdef CLUSTER_TORCH_CUDA
#include <cuda_runtime_api.h>
#include <c10/cuda/CUDAGuard.h>
CT_EXPORT int ct_cuda_mem_get_info(int device, int64_t* free_bytes, int64_t* total_bytes) {
  CT_STATUS(
    c10::cuda::CUDAGuard g(static_cast<c10::DeviceIndex>(device));
    size_t f = 0, t = 0;
    auto e = cudaMemGetInfo(&f, &t);
    if (e != cudaSuccess) throw std::runtime_error(std::string("cudaMemGetInfo: ") + cudaGetErrorString(e));
    *free_bytes = static_cast<int64_t>(f); *total_bytes = static_cast<int64_t>(t))
}
#else
CT_EXPORT int ct_cuda_mem_get_info(int, int64_t*, int64_t*) {
  CT_STATUS(throw std::runtime_error("this build of cluster_torch has no CUDA support (libtorch was CPU-only)"))
}
#endif
