// The NF4 / ICQ-NF4 format's compute entries (bitsandbytes NF4 with
// IR-QLoRA's information calibration), added to its described row
// (nf4_description.cpp) by register_nf4_format(), which
// register_builtin_formats() calls (plugins/builtin_formats.h).
#include "export/format_exporter.h"
#include "nf4_bnb_export.h"
#include "nf4_cuda.h"
#include "nf4_internal.h"

namespace irq {

void register_nf4_format() {
  irq::QuantFormat f = irq::require_quant_format("nf4");  // the description, registered first
  f.quantize = [](const irq::QuantJob& job, irq::QuantizedTensor* out, irq::LayerQuantStats* stats) {
    irq::nf4::quantize(job, irq::nf4::Search::kFast, out, stats);
  };
  f.quantize_ref = [](const irq::QuantJob& job, irq::QuantizedTensor* out, irq::LayerQuantStats* stats) {
    irq::nf4::quantize(job, irq::nf4::Search::kReference, out, stats);
  };
  f.dequantize = [](const irq::QuantizedTensor& q, float* out) { irq::nf4::dequantize(q, out); };
  f.dequantize_rows = [](const irq::DeviceQuantTensor& t, int64_t row0, int64_t count, float* out) {
    irq::nf4::dequantize_rows(irq::nf4::nf4_view(t), row0, count, out);
  };
  f.rows_dot = [](const irq::DeviceQuantTensor& t, int64_t row0, int64_t count, const float* x, int64_t M, float* y,
                  int64_t ldy) { return irq::nf4::rows_dot(irq::nf4::nf4_view(t), row0, count, x, M, y, ldy); };
  f.search_curve = [](const float* w, int64_t length, const irq::QuantSettings& s) {
    return irq::nf4::padded_search_curve(w, length, s);
  };
  f.payload_hash = irq::nf4::payload_hash;
  f.block_members = irq::nf4::block_members;
  f.block_levels = irq::nf4::block_levels;
  irq::nf4::add_torch_entries(f);
  if (irq::nf4::cuda::available()) {
    f.dequantize_cuda = [](const irq::DeviceQuantTensor& d, void* out, bool bf16) {
      const irq::nf4::Nf4View t = irq::nf4::nf4_view(d);
      irq::nf4::cuda::dequantize(t.codes, t.numel, static_cast<int>(t.settings->block_size), static_cast<int>(t.settings->stats_block),
                                 t.absmax_q, t.absmax_scale, t.absmax_offset, t.tau_q, t.tau_scale, out, bf16, t.stream);
    };
    f.dequantize_tile_cuda = [](const irq::DeviceQuantTensor& d, int64_t row0, int64_t rows, int64_t col0, int64_t width,
                                void* out, bool bf16) {
      const irq::nf4::Nf4View t = irq::nf4::nf4_view(d);
      irq::nf4::cuda::dequantize_window(t.codes, t.cols, row0, rows, col0, width, static_cast<int>(t.settings->block_size),
                                        static_cast<int>(t.settings->stats_block), t.absmax_q, t.absmax_scale, t.absmax_offset,
                                        t.tau_q, t.tau_scale, out, bf16, t.stream);
    };
    f.gemv_cuda = [](const irq::DeviceQuantTensor& d, const void* x, int64_t M, void* y, bool bf16) {
      const irq::nf4::Nf4View t = irq::nf4::nf4_view(d);
      const bool fits = t.settings->block_size == 64 && t.cols % 64 == 0 && M >= 1 && M <= 8 &&
                        reinterpret_cast<uintptr_t>(x) % 16 == 0 && reinterpret_cast<uintptr_t>(t.codes) % 16 == 0;
      if (!fits) return false;
      const irq::nf4::cuda::GemvWeight w{t.codes, t.absmax_q, t.absmax_scale, t.absmax_offset, t.tau_q, t.tau_scale,
                                         static_cast<int>(t.settings->stats_block), t.rows, t.cols};
      irq::nf4::cuda::gemv(w, x, M, y, bf16, t.stream);
      return true;
    };
    f.quantize_cuda = [](const irq::QuantJob& job, irq::QuantizedTensor* out, irq::LayerQuantStats* stats) {
      irq::nf4::quantize_on_device(job, out, stats);
    };
  }
  irq::register_quant_format(std::move(f));
  irq::register_format_exporter({"bnb-nf4", "bitsandbytes NF4 (plain NF4 only)", irq::export_bnb_nf4});
}

}  // namespace irq
