// Decoding one GGUF tensor (a parsed, bounds-checked GgufFile) to float32.
#include <torch/torch.h>

#include "common/error.h"
#include "common/mapped_file.h"
#include "export/gguf.h"

namespace irq {

torch::Tensor read_gguf_tensor(const GgufFile& g, const std::string& name) {
  const auto* t = g.tensor(name);
  if (!t) throw make_error(ErrorKind::kNotFound, g.path.string(), "has no tensor " + name);
  const auto file = MappedFile::open(g.path);
  const uint8_t* p = file->data() + g.data_offset + t->offset;
  const int64_t n = t->numel();
  std::vector<int64_t> shape(t->ne.rbegin(), t->ne.rend());
  const auto bytes = torch::from_blob(const_cast<uint8_t*>(p), {static_cast<int64_t>(ggml_bytes(t->type, n))}, torch::kUInt8).clone();
  switch (t->type) {
    case GgmlType::kF32: return bytes.view(torch::kFloat32).view(shape);
    case GgmlType::kF16: return bytes.view(torch::kFloat16).to(torch::kFloat32).view(shape);
    case GgmlType::kQ8_0: {
      const auto b = bytes.view({-1, 34});
      const auto d = b.narrow(1, 0, 2).contiguous().view(torch::kFloat16).to(torch::kFloat32);  // (N, 1)
      const auto q = b.narrow(1, 2, 32).contiguous().view(torch::kInt8).to(torch::kFloat32);
      return (q * d).view(shape);
    }
    case GgmlType::kQ4_1: {
      const auto b = bytes.view({-1, 20});
      const auto d = b.narrow(1, 0, 2).contiguous().view(torch::kFloat16).to(torch::kFloat32);
      const auto m = b.narrow(1, 2, 2).contiguous().view(torch::kFloat16).to(torch::kFloat32);
      const auto qs = b.narrow(1, 4, 16);
      const auto q = torch::cat({qs.bitwise_and(15), qs.bitwise_right_shift(4)}, 1).to(torch::kFloat32);
      return (q * d + m).view(shape);
    }
  }
  throw make_error(ErrorKind::kInvalidInput, g.path.string(), "tensor " + name + " has an unknown type");
}

}  // namespace irq
