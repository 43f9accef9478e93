// Shared helpers of the native op library: error capture and handle conversion.
// Every extern "C" function catches c10::Error / std::exception, stores the message in a thread-local
// string (ct_last_error) and returns an error value (nullptr or -1), so nothing ever unwinds into .NET.
#pragma once
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/version.h>
#include <string>
#include <optional>
#include <vector>

#define CT_EXPORT extern "C" __attribute__((visibility("default")))

namespace ct {
void set_error(const char* message);

inline at::Tensor& T(void* handle) {
  if (handle == nullptr) throw std::invalid_argument("null tensor handle");
  return *static_cast<at::Tensor*>(handle);
}
inline void* wrap(at::Tensor t) { return new at::Tensor(std::move(t)); }
inline at::IntArrayRef dims(const int64_t* shape, int n) { return at::IntArrayRef(shape, static_cast<size_t>(n)); }
inline at::Device device(int type, int index) {
  return at::Device(static_cast<c10::DeviceType>(type), static_cast<c10::DeviceIndex>(index));
}
inline at::TensorOptions options(int dtype, int dev_type, int dev_index) {
  return at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)).device(device(dev_type, dev_index));
}
}  // namespace ct

#define CT_CATCH(fail)                                   \
  catch (const c10::Error& e) {                          \
    ct::set_error(e.what_without_backtrace());           \
    return fail;                                         \
  }                                                      \
  catch (const std::exception& e) {                      \
    ct::set_error(e.what());                             \
    return fail;                                         \
  }                                                      \
  catch (...) {                                          \
    ct::set_error("unknown native exception");           \
    return fail;                                         \
  }

// Returns a new tensor handle, or nullptr with the error recorded.
#define CT_TENSOR(...) try { return ct::wrap(__VA_ARGS__); } CT_CATCH(nullptr)
// Runs a statement block; returns 0, or -1 with the error recorded.
#define CT_STATUS(...) try { __VA_ARGS__; return 0; } CT_CATCH(-1)
