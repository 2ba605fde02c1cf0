// Threads, devices and dtypes.
#include "runtime/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include "common/error.h"
#include "runtime/threads.h"

namespace irq {

void init_runtime() {
  static const bool once = [] {
    at::set_num_threads(engine_threads());
    // cuDNN's attention builds (and caches) a graph for every new shape, tens
    // of milliseconds each: decoding, MMLU batches and length-grouped training
    // batches are all new shapes, and ran at ~15 tokens/s on an H100 with it.
    // Flash / memory-efficient attention have no per-shape setup.
    at::globalContext().setSDPUseCuDNN(false);
    return true;
  }();
  (void)once;
}

int num_threads() { return at::get_num_threads(); }

bool cuda_available() { return torch::cuda::is_available(); }

void allow_tf32_matmul(bool on) { at::globalContext().setFloat32MatmulPrecision(on ? "high" : "highest"); }

torch::Device parse_device(const std::string& name) {
  if (name == "auto") return cuda_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!cuda_available()) throw make_error(ErrorKind::kUnsupported, "device '" + name + "'", "CUDA is not available on this machine");
    try {
      torch::Device d(name);
      if (d.index() >= static_cast<int>(torch::cuda::device_count()))
        throw make_error(ErrorKind::kUsage, "device '" + name + "'", "no such CUDA device");
      return d;
    } catch (const c10::Error&) {
      throw make_error(ErrorKind::kUsage, "device '" + name + "'", "expected cpu, cuda, cuda:N or auto");
    }
  }
  throw make_error(ErrorKind::kUsage, "device '" + name + "'", "expected cpu, cuda, cuda:N or auto");
}

torch::ScalarType default_dtype(const torch::Device& device) {
  return device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
}

torch::ScalarType parse_dtype(const std::string& name) {
  if (name == "float32" || name == "fp32" || name == "f32") return torch::kFloat32;
  if (name == "bfloat16" || name == "bf16") return torch::kBFloat16;
  if (name == "float16" || name == "fp16" || name == "f16") return torch::kFloat16;
  throw make_error(ErrorKind::kUsage, "dtype '" + name + "'", "expected float32, bfloat16 or float16");
}

std::string dtype_display_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "float32";
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat16: return "float16";
    case torch::kFloat64: return "float64";
    default: return c10::toString(type);
  }
}

}  // namespace irq
