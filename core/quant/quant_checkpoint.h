// The workbench's own quantized checkpoint: a model directory that loads
// without the full-precision original, with the exact codes, scales and ICQ
// offsets (tau) it was quantized with (the published IR-QLoRA code never
// saves tau and recomputes it at evaluation).
//
//   DIR/config.json, tokenizer.model, tokenizer_config.json, ...   copied
//   DIR/irqlora_quant.json   {"format": "irqlora-quant", "version": 1,
//                             "settings": QuantSettings JSON, "quantized": [names],
//                             "shapes": {name: [rows, cols]}, "source": path}
//   DIR/model.safetensors    every other tensor under its HF name and stored
//                            dtype; for each quantized weight NAME, its
//                            format's stored parts as NAME.<part>
//                            (QuantFormat::stored_parts); the built-in ones:
//     NF4: NAME.codes U8 [numel/2 padded to blocks], NAME.absmax_q U8 [nblocks],
//          NAME.absmax_scale F32 [ceil(nblocks/256)], NAME.absmax_offset F32 [1],
//          with ICQ: NAME.tau_q U8 [nblocks], NAME.tau_scale F32 [ceil(nblocks/256)]
//          (plain NF4's tau is zero and not stored; checkpoints written with
//          its zeros still load)
//     INT: NAME.codes U8 [packed], NAME.scale F32 [rows*ngroups], NAME.zero F32 [rows*ngroups]
//   Code packing and dequantization are documented in quant/quantized_tensor.h.
// Written into a temporary sibling directory and renamed when complete;
// quantized tensors are streamed to disk as they are produced (the header is
// computed up front from the shapes), so memory holds one layer at a time.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "io/safetensors_stream_writer.h"
#include "quant/quant_stats.h"
#include "quant/quantized_tensor.h"

namespace irq {

class CheckpointWeights;

// The safetensors entries ("NAME.codes", ...) of one quantized weight, in file order.
std::vector<TensorSpec> quantized_parts(const std::string& name, const std::vector<int64_t>& shape, const QuantSettings& s);

class QuantCheckpointWriter {
 public:
  // Declares the file: every source tensor not in `quantized_names` is
  // copied now; the quantized ones must then be add()ed in that order.
  // Throws Error(kUsage) if out_dir exists and !overwrite.
  QuantCheckpointWriter(const std::filesystem::path& source_dir, const std::filesystem::path& out_dir,
                        const QuantSettings& settings, const std::vector<std::string>& quantized_names, bool overwrite);
  // Destroying it before finish() removes the temporary directory.
  void add(const std::string& name, const QuantizedTensor& q);
  void finish();

 private:
  std::filesystem::path source_;
  QuantSettings settings_;
  std::vector<std::string> names_;
  std::map<std::string, std::vector<int64_t>> shapes_;
  AtomicDir dir_;
  std::unique_ptr<SafetensorsStreamWriter> writer_;
};

// Throws Error(kUsage) if out_dir exists and !overwrite; Error(kIo) on write failures.
void write_quant_checkpoint(const std::filesystem::path& source_dir, const std::filesystem::path& out_dir,
                            const std::map<std::string, QuantizedTensor>& quantized, bool overwrite);

// DIR/irqlora_quant.json, parsed and checked (format, version, settings,
// names, shapes); nullopt when the directory has none. Errors name the file.
struct QuantCheckpointMeta {
  QuantSettings settings;
  std::vector<std::string> quantized;
  std::map<std::string, std::vector<int64_t>> shapes;
};
std::optional<QuantCheckpointMeta> read_quant_meta(const std::filesystem::path& dir);

// The quantized tensors of a directory written by write_quant_checkpoint
// (empty when it has no irqlora_quant.json). Errors name the file and tensor.
std::map<std::string, QuantizedTensor> read_quantized_tensors(const std::filesystem::path& dir,
                                                              const CheckpointWeights& weights);

}  // namespace irq
