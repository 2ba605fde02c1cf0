// irqlora plan MODEL_DIR [--quant nf4 --rank 64 --batch 4 --seq 512 ...]:
// the predicted peak GPU memory of a finetune and of MMLU evaluation, term by
// term, from config.json alone (jobs/memory_plan.h); --budget GIB says
// whether each fits.
#include <cstdio>

#include "cli/verbs.h"
#include "common/error.h"
#include "jobs/memory_plan.h"
#include "quant/model_quantizer.h"

namespace irq::cli {

namespace {

void print(const char* title, const std::vector<MemoryItem>& items, double total, double budget) {
  std::printf("%s\n", title);
  for (const auto& i : items)
    if (i.bytes > 0) std::printf("  %-62s %12s\n", i.what.c_str(), format_bytes(i.bytes).c_str());
  std::printf("  %-62s %12s", "predicted peak (allocator; CUDA context not included)", format_bytes(total).c_str());
  if (budget > 0) std::printf("   %s %s", total <= budget ? "fits" : "does NOT fit", format_bytes(budget).c_str());
  std::printf("\n");
}

int run_plan(const ParsedArgs& args) {
  MemoryPlanRequest r;
  r.model_dir = args.positional.at(0);
  if (args.has("quant")) r.quant = args.str("quant");
  r.quant_group = args.integer("quant-group");
  r.icq = !args.flag("no-icq");
  r.rank = args.integer("rank");
  r.iec = !args.flag("no-iec");
  r.targets = parse_targets(args.str("targets"));
  r.batch = args.integer("batch");
  r.seq = args.integer("seq");
  r.checkpointing = !args.flag("no-checkpointing");
  r.optimizer_offload = args.flag("optimizer-offload");
  const std::string dtype = args.str("dtype");
  if (dtype == "bf16" || dtype == "bfloat16" || dtype == "fp16" || dtype == "float16") r.dtype_bytes = 2;
  else if (dtype == "fp32" || dtype == "float32") r.dtype_bytes = 4;
  else throw make_error(ErrorKind::kUsage, "--dtype " + dtype, "expected bf16, fp16 or fp32");
  r.eval_batch = args.integer("eval-batch");
  r.eval_seq = args.integer("eval-seq");
  const double budget = args.number("budget") * 1024.0 * 1024.0 * 1024.0;
  const auto p = plan_memory(r);
  std::printf("memory plan  %s: %s base, %.2fB base parameters, LoRA rank %lld on %zu projection kinds (%.1fM adapter parameters%s),\n"
              "             batch %lld x %lld tokens, gradient checkpointing %s, compute dtype %s\n",
              r.model_dir.c_str(), r.quant.empty() ? "full-precision" : r.quant.c_str(), p.base_params / 1e9, (long long)r.rank,
              r.targets.size(), p.adapter_params / 1e6, r.iec ? ", IEC" : "", (long long)r.batch, (long long)r.seq,
              r.checkpointing ? "on" : "off", dtype.c_str());
  print("finetune", p.finetune, p.finetune_bytes, budget);
  for (const auto& i : p.finetune_host) std::printf("  %-62s %12s\n", ("host: " + i.what).c_str(), format_bytes(i.bytes).c_str());
  print("MMLU evaluation", p.eval, p.eval_bytes, budget);
  return 0;
}

}  // namespace

Verb plan_verb() {
  VerbSpec spec{"plan", "MODEL_DIR", "predicted peak GPU memory of a finetune and of MMLU evaluation, from config.json", {}, 1, 1};
  spec.options = {{"quant", "METHOD", "quantized base: {quant_methods} (default: full precision)", ""},
                  {"quant-group", "G", "block/group size", "64"},
                  {"no-icq", "", "plain quantization (no tau per block)", ""},
                  {"rank", "R", "LoRA rank", "64"},
                  {"no-iec", "", "plain LoRA", ""},
                  {"targets", "LIST", "adapted projections: all or e.g. q,k,v,o,gate,up,down", "all"},
                  {"batch", "B", "sequences per micro-batch", "4"},
                  {"seq", "T", "tokens per sequence", "512"},
                  {"checkpointing", "", "gradient checkpointing (the default)", ""},
                  {"no-checkpointing", "", "keep every layer's activations", ""},
                  {"optimizer-offload", "", "AdamW moments in host memory, streamed through the GPU in chunks", ""},
                  {"dtype", "TYPE", "compute dtype of the frozen base: bf16, fp16, fp32", "bf16"},
                  {"eval-batch", "B", "MMLU suffixes per batch", "16"},
                  {"eval-seq", "T", "MMLU prompt tokens (0: min(2048, context))", "0"},
                  {"budget", "GIB", "say whether each fits this much GPU memory", "0"}};
  return {spec, &run_plan};
}

}  // namespace irq::cli
