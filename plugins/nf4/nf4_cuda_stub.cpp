// The NF4 plugin's CUDA entry points in a build without nvcc: no device.
#include "common/error.h"
#include "nf4_cuda.h"

namespace irq::nf4::cuda {

namespace {
[[noreturn]] void no_cuda() { throw make_error(ErrorKind::kUnsupported, "NF4 CUDA path", "this build has no CUDA (nvcc was not found)"); }
}  // namespace

bool available() { return false; }
std::string device_name() { return ""; }
void search(const float*, int64_t, int, const float*, int, const float*, float*, int32_t*, float*, float*, void*) { no_cuda(); }
void encode(const float*, int64_t, int, const float*, uint8_t*, float*, void*) { no_cuda(); }
void dequantize(const uint8_t*, int64_t, int, int, const uint8_t*, const float*, float, const uint8_t*, const float*, void*, bool,
                void*) {
  no_cuda();
}
void dequantize_window(const uint8_t*, int64_t, int64_t, int64_t, int64_t, int64_t, int, int, const uint8_t*, const float*,
                       float, const uint8_t*, const float*, void*, bool, void*) {
  no_cuda();
}
void gemv(const GemvWeight&, const void*, int64_t, void*, bool, void*) { no_cuda(); }
void search_encode64(const float*, int64_t, const float*, int, bool, const float*, const Block64Outputs&, void*) { no_cuda(); }
void quantize_device(const float*, int64_t, int, const std::vector<float>&, bool, const std::vector<float>&, bool, void*,
                     DeviceQuantResult*, const std::function<void(DeviceQuantResult&)>&) {
  no_cuda();
}
void search_host(const float*, int64_t, int, const std::vector<float>&, const std::vector<float>&, std::vector<float>&,
                 std::vector<int32_t>&, std::vector<float>&, std::vector<float>&) {
  no_cuda();
}
void copy_to_host(const float*, int64_t, float*, void*) { no_cuda(); }
void fill_normal(float*, int64_t, uint64_t, float, void*) { no_cuda(); }

}  // namespace irq::nf4::cuda
