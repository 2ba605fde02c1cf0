// Text generation as a job, for `irqlora generate` and the workbench's
// Playground: the model as EvalModelSpec describes it (quantized base and
// adapter optional), the prompt encoded with BOS (or, with `chat`, as the
// user's turn in the model's chat template: text/chat_template.h), greedy or
// sampled decoding
// (model/generate.h), and the continuation streamed as text: the whole new
// text is decoded after every token and only what it adds is passed on, so
// pieces that merge across tokens (sentencepiece spaces, UTF-8) come out right.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/progress.h"
#include "jobs/eval_model_spec.h"
#include "model/generate_options.h"

namespace irq {

struct EvalModel;
class ChatTemplate;

struct GenerateRequest {
  EvalModelSpec model;
  std::string prompt;
  GenerateOptions sampling;  // max_new_tokens, temperature, top_k, top_p, seed
  bool echo_prompt = false;  // pass the prompt to on_text first (the CLI prints it)
  // The prompt as the user's message in the model's chat template, after a
  // system message when `system` is not empty, with the assistant's turn
  // opened (add_generation_prompt); the template writes the special tokens.
  bool chat = false;
  std::string system;
};

struct GenerateOutcome {
  std::string prompt_text;      // the prompt as the tokenizer decodes it (BOS left out)
  std::string rendered_prompt;  // the text that was encoded: the prompt, or the chat template's output
  std::string text;         // the continuation
  int64_t prompt_tokens = 0, new_tokens = 0;
  double prefill_seconds = 0, decode_seconds = 0;
  double tokens_per_second() const { return decode_seconds > 0 ? static_cast<double>(new_tokens) / decode_seconds : 0; }
};

std::vector<std::string> validate(const GenerateRequest& r);  // each problem starts with its field's name
// r.chat's prompt: the system message (when given) and the user's turn in
// `chat`, the assistant's turn opened; what run_generate encodes.
std::string render_chat_prompt(const ChatTemplate& chat, const GenerateRequest& r);
// on_text receives each new piece of the continuation (may be empty: not called).
// preloaded: the model r.model describes, already loaded; null: the job loads it.
GenerateOutcome run_generate(const GenerateRequest& r, const std::function<void(const std::string&)>& on_text = {},
                             const CancelToken* cancel = nullptr, EvalModel* preloaded = nullptr);

}  // namespace irq
