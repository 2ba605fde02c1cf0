// A loaded model as a llama.cpp GGUF file (format in gguf.h): F32, F16 or
// Q8_0 from the effective (dequantized, adapter-merged) weights of any model;
// Q4_1 from a base quantized with INT4 group 32 (ICQ or not), codes carried
// over unchanged. Metadata: general.*, llama.* hyperparameters and the
// sentencepiece vocabulary as tokenizer.ggml.*.
#pragma once

#include <filesystem>

#include "export/gguf.h"
#include "export/hf_export.h"

namespace irq {

// type: kF32, kF16, kQ8_0 or kQ4_1. Throws Error(kUsage) explaining why a
// Q4_1 export is impossible for this model (not INT4 group 32, adapters).
void export_gguf(LoadedModel& model, const std::filesystem::path& out, GgmlType type, const ExportOptions& options);

// HF tensor name -> llama.cpp name ("" when the tensor has no GGUF counterpart).
std::string gguf_tensor_name(const std::string& hf_name);

// Row order of attn_q / attn_k in llama.cpp (convert_hf_to_gguf.py permute):
// out row i = HF row perm[i].
torch::Tensor gguf_qk_row_permutation(int64_t rows, int64_t n_head);

}  // namespace irq
