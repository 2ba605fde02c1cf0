// irqlora logits MODEL_DIR --prompt TEXT --out FILE.safetensors [--quant ...]
//   [--adapter DIR] [--device ...] [--dtype ...]
// Writes the prompt's token ids (I64 [T], BOS first) and the model's logits
// (F32 [T, V]) as safetensors: the engine's side of a parity check against
// another implementation (transformers, peft, llama.cpp) on the same input.
#include <cstdio>

#include "cli/model_options.h"
#include "cli/verbs.h"
#include "io/safetensors_writer.h"
#include "lora/adapter_io.h"

namespace irq::cli {

namespace {

int run_logits(const ParsedArgs& args) {
  if (!args.has("out")) throw Error(ErrorKind::kUsage, "--out FILE.safetensors is required");
  auto loaded = load_for_cli(args, /*require_tokenizer=*/true);
  quantize_for_cli(loaded, args);
  if (args.has("adapter")) load_adapter(args.str("adapter"), loaded);
  const auto ids = loaded.require_tokenizer().encode(args.str("prompt"), /*add_bos=*/true);
  torch::NoGradGuard no_grad;
  loaded.model->eval();
  const auto input = torch::tensor(ids, torch::kInt64).view({1, -1});
  const auto logits = loaded.model->forward(input.to(loaded.model->options().device()))[0].to(torch::kCPU, torch::kFloat32).contiguous();
  const std::vector<TensorBlob> blobs = {
      {"input_ids", DType::kI64, {static_cast<int64_t>(ids.size())}, ids.data()},
      {"logits", DType::kF32, logits.sizes().vec(), logits.data_ptr()}};
  write_safetensors(args.str("out"), blobs);
  std::printf("%lld tokens x %lld logits -> %s\n", (long long)logits.size(0), (long long)logits.size(1), args.str("out").c_str());
  return 0;
}

}  // namespace

Verb logits_verb() {
  VerbSpec spec{"logits", "MODEL_DIR", "write a prompt's token ids and logits (safetensors) for parity checks", {}, 1, 1};
  spec.options = {{"prompt", "TEXT", "the prompt (BOS is prepended)", ""},
                  {"out", "FILE", "output safetensors (input_ids, logits)", ""},
                  {"adapter", "DIR", "LoRA / IEC-LoRA adapter from irqlora finetune", ""}};
  for (auto& o : quant_options()) spec.options.push_back(o);
  for (auto& o : model_options()) spec.options.push_back(o);
  return {spec, &run_logits};
}

}  // namespace irq::cli
