// The memory plan's terms against what the engine really allocates for the
// same settings: the quantized base's bytes against quantize_checkpoint's
// packed tensors, the adapter parameter count against add_lora's trainable
// tensors; and the published check that a 70B-shaped config's terms add up.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include "jobs/memory_plan.h"
#include "model/model_loader.h"
#include "quant/model_quantizer.h"
#include "train/offload_layout.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace {
constexpr double kQloraGpuBytes = 48e9;  // the 48 GB card of the QLoRA paper's 65B finetune
}  // namespace

class TestMemoryPlan : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private Q_SLOTS:

  void quantized_base_bytes_are_the_packed_tensors() {
    for (const char* method : {"nf4", "plain-nf4", "int4", "int3"}) {
      const bool plain = std::string(method) == "plain-nf4";
      irq::MemoryPlanRequest r;
      r.model_dir = irq::test::fixtures() / "tiny_llama";
      r.quant = plain ? "nf4" : method;
      r.icq = !plain;
      const auto plan = irq::plan_memory(r);
      irq::ModelQuantOptions o;
      o.settings = irq::QuantSettings::for_method(r.quant);
      o.settings.icq = r.icq;
      double packed = 0;  // what the loaded base holds: plain NF4's zero tau too (not stored, not counted in bits/weight)
      irq::quantize_checkpoint(r.model_dir, o, [&](const std::string&, irq::QuantizedTensor&& q, const irq::LayerQuantStats&) {
        packed += static_cast<double>(q.storage_bytes() + (plain ? q.part<uint8_t>("tau_q").size() + 4 * q.part<float>("tau_scale").size() : 0));
      });
      qInfo("%s: plan %.0f bytes, packed tensors %.0f bytes", method, plan.finetune.front().bytes, packed);
      QCOMPARE(plan.finetune.front().bytes, packed);
    }
  }

  void adapter_parameters_are_the_trainable_tensors() {
    for (bool iec : {false, true}) {
      irq::MemoryPlanRequest r;
      r.model_dir = irq::test::fixtures() / "tiny_llama";
      r.rank = 8;
      r.iec = iec;
      const auto plan = irq::plan_memory(r);
      auto loaded = irq::load_model(r.model_dir);
      irq::LoraConfig lora;
      lora.rank = 8;
      lora.iec = iec;
      irq::add_lora(loaded.model, lora);
      int64_t trainable = 0;
      for (const auto& p : loaded.model->parameters())
        if (p.requires_grad()) trainable += p.numel();
      QCOMPARE(plan.adapter_params, trainable);
    }
  }

  void totals_are_the_sum_of_the_terms() {
    const fs::path dir = fs::path(tmp_.path().toStdString()) / "llama-70b-config";
    fs::create_directories(dir);
    irq::test::write_file(dir / "config.json", nlohmann::json{{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"},
                                                              {"hidden_size", 8192}, {"intermediate_size", 28672},
                                                              {"num_attention_heads", 64}, {"num_key_value_heads", 8},
                                                              {"num_hidden_layers", 80}, {"vocab_size", 32000},
                                                              {"max_position_embeddings", 4096}}.dump());
    irq::MemoryPlanRequest r;
    r.model_dir = dir;
    r.quant = "nf4";
    r.batch = 1;
    const auto p = irq::plan_memory(r);
    double sum = 0;
    for (const auto& i : p.finetune) sum += i.bytes;
    QCOMPARE(p.finetune_bytes, sum);
    QCOMPARE(p.base_params, int64_t(68976648192));  // Llama-2-70B's parameter count
    QCOMPARE(p.adapter_params, int64_t(80) * (64 * ((8192 + 8192) * 2 + (8192 + 1024) * 2 + (8192 + 28672) * 3) + 2 * 7));
    qInfo("70B NF4 rank 64, batch 1 x 512, checkpointing: finetune %s, MMLU %s", irq::format_bytes(p.finetune_bytes).c_str(),
          irq::format_bytes(p.eval_bytes).c_str());

    // The optimizer's moments offloaded (train/flat_adamw.h): exactly 8 bytes
    // per trainable value leave the GPU for the host, a few chunk buffers stay.
    r.optimizer_offload = true;
    const auto o = irq::plan_memory(r);
    const double moments = 8.0 * static_cast<double>(p.adapter_params);
    QCOMPARE(o.finetune_host_bytes, moments);
    QCOMPARE(o.finetune_bytes, p.finetune_bytes - moments + irq::offloaded_adamw_device_bytes());
    QCOMPARE(o.eval_bytes, p.eval_bytes);
    qInfo("  with the optimizer offloaded: finetune %s on the GPU + %s of host memory", irq::format_bytes(o.finetune_bytes).c_str(),
          irq::format_bytes(o.finetune_host_bytes).c_str());
    QVERIFY(o.finetune_bytes < kQloraGpuBytes);  // QLoRA's claim: a 65B+ finetune on one 48 GB GPU
  }
};

IRQ_TEST_CASE(TestMemoryPlan, "test_memory_plan")
#include "test_memory_plan.moc"
