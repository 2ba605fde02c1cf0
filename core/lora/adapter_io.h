// LoRA / IEC-LoRA on a model, and its adapter files, apart from training:
// adding the adapters to the target projections, their trainable tensors,
// and saving / loading an adapter (peft layout + IR-QLoRA's IEC scalars and
// base fingerprint). Evaluation, export and generation load adapters from
// here without depending on the trainer (train/trainer.h).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "lora/lora_config.h"
#include "model/model_loader.h"
#include "quant/model_quantizer.h"

namespace irq {

// Adds LoRA (IEC-LoRA) to the target projections of every decoder layer.
void add_lora(LlamaForCausalLM& model, const LoraConfig& config);
// The projections that carry an adapter, by module name.
std::vector<std::pair<std::string, LinearImpl*>> lora_layers(LlamaForCausalLM& model);
// Their trainable tensors (lora_A, lora_B, the IEC scalars), set to require grad.
std::vector<torch::Tensor> lora_parameters(LlamaForCausalLM& model);

// The quantize-on-load options of the base an adapter was trained on (its
// adapter_config.json), or nullopt for a full-precision base; load_adapter
// then finds that base built and checks it.
std::optional<ModelQuantOptions> adapter_base_quant(const std::filesystem::path& adapter_dir);

// adapter_config.json (peft LoRA config + an "irqlora" section with IEC and
// the quantization settings) and adapter_model.safetensors with peft keys
// (base_model.model.<module>.lora_A.weight, ...) and the IEC scalars
// (<module>.iec_beta_a / iec_beta_b); written atomically.
// With a quantized base, each projection's payload_hash (codes and every
// scale; NF4 and INT) is stored too (irqlora.base.<module>.hash, 8 bytes,
// little-endian), and the ICQ offsets where there are any
// (irqlora.base.<module>.tau_q / .tau_scale), so a later load can check that
// it rebuilt the very base the adapter was trained on.
void save_adapter(const std::filesystem::path& dir, LlamaForCausalLM& model, const LoraConfig& lora,
                  const std::string& base_model, const nlohmann::json& quant);

// Loads an adapter written by save_adapter into `model`: quantizes the base
// first with the adapter's stored settings when the model is not quantized
// yet, checks the stored hash (older adapters: tau) against the rebuilt base, then adds and fills the
// LoRA/IEC tensors. Errors name the adapter file and tensor. Returns the
// quantization settings JSON (null for a full-precision base).
// requantize_n > 0: the base is (or was, by the caller) rebuilt with the ICQ
// search widened to that n, as the reference's evaluate_mmlu.py re-runs it
// (tau_n 125 after training with 100); the settings are checked with that n
// and the stored tau, which that search no longer reproduces, are not.
nlohmann::json load_adapter(const std::filesystem::path& dir, LoadedModel& model, int requantize_n = 0);

}  // namespace irq
