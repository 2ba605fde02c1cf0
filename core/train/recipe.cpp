// The reference recipes. Sources: htqin/IR-QLoRA scripts/finetune.sh and the
// argument defaults of irlora.py (TrainingArguments, DataArguments); QLoRA
// (Dettmers et al. 2023, section 4 / appendix B.2) for the baseline.
#include "train/recipe.h"

#include "common/error.h"
#include "common/join.h"

namespace irq {

namespace {

std::vector<RecipeSetting> common_settings() {
  return {
      {"lr", "2e-4", "irlora.py learning_rate", ""},
      {"schedule", "constant", "irlora.py lr_scheduler_type", ""},
      {"warmup-ratio", "0", "HF get_scheduler(\"constant\") ignores warmup_ratio (0.03 in irlora.py)", ""},
      {"max-grad-norm", "0.3", "irlora.py max_grad_norm", ""},
      {"rank", "64", "irlora.py lora_r", ""},
      {"alpha", "16", "irlora.py lora_alpha", ""},
      {"targets", "all", "find_all_linear_names: every decoder projection", ""},
      {"batch", "16", "finetune.sh per_device_train_batch_size", ""},
      {"accum", "1", "finetune.sh gradient_accumulation_steps", ""},
      {"steps", "10000", "finetune.sh max_steps", ""},
      {"source-max-len", "384", "finetune.sh source_max_len", ""},
      {"target-max-len", "128", "finetune.sh target_max_len", ""},
      {"holdout", "1024", "finetune.sh eval_dataset_size; train_test_split(shuffle=True, seed=42)", ""},
      {"eval-rows", "1000", "finetune.sh max_eval_samples", ""},
      {"eval-every", "1000", "finetune.sh eval_steps", ""},
      {"seed", "42", "finetune.sh data_seed", ""},
      {"dtype", "float32", "no --bf16 in finetune.sh: compute_dtype float32", ""},
      {"tf32", "", "irlora.py: torch.backends.cuda.matmul.allow_tf32 = True", ""},
      {"quant", "nf4", "irlora.py bits 4, quant_type nf4, double_quant", ""},
  };
}

const std::vector<std::string> kOptimizerNotes = {
    "optimizer: finetune.sh paged_adamw_32bit = AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0); paging moves "
    "optimizer state to the host under memory pressure and does not change the update",
    "group_by_length: batches sorted by length inside megabatches of 50 batches, as HF's LengthGroupedSampler "
    "(the engine's shuffle is its own seeded one, not torch's randperm)",
};

std::vector<Recipe> build_recipes() {
  Recipe ir{"ir-qlora", "IR-QLoRA as the authors train it: ICQ-NF4 base (lambda 0.1, n 100), IEC-LoRA", common_settings(),
            kOptimizerNotes};
  ir.settings.push_back({"lora-dropout", "0", "irlora.py lora_dropout", ""});
  ir.settings.push_back({"icq", "", "irlora.py tau_lambda 0.1, tau_n 100 (utils.py search)", "no-icq"});
  ir.settings.push_back({"iec", "", "utils.py IRQLoraLinear4bit.forward", "no-iec"});
  Recipe q{"qlora", "the QLoRA baseline: plain NF4 base, plain LoRA, dropout 0.1", common_settings(), kOptimizerNotes};
  q.settings.push_back({"lora-dropout", "0.1", "QLoRA: lora_dropout 0.1 for models up to 13B (0.05 for 33B/65B)", ""});
  q.settings.push_back({"no-icq", "", "QLoRA: plain NF4", "icq"});
  q.settings.push_back({"no-iec", "", "QLoRA: plain LoRA", "iec"});
  return {ir, q};
}

const std::vector<Recipe>& recipes() {
  static const std::vector<Recipe> all = build_recipes();
  return all;
}

}  // namespace

std::vector<std::string> recipe_names() {
  std::vector<std::string> out;
  for (const auto& r : recipes()) out.push_back(r.name);
  return out;
}

const Recipe& find_recipe(const std::string& name) {
  for (const auto& r : recipes())
    if (r.name == name) return r;
  throw Error(ErrorKind::kUsage, "unknown recipe '" + name + "' (known: " + join(recipe_names()) + ")");
}

}  // namespace irq
