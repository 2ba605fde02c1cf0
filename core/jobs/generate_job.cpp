// Streaming generation job (generate_job.h).
#include "jobs/generate_job.h"

#include "common/error.h"
#include "jobs/eval_model.h"
#include "jobs/job_problems.h"
#include "model/generate.h"
#include "text/chat_template.h"

namespace irq {

std::vector<std::string> validate(const GenerateRequest& r) {
  std::vector<std::string> out;
  validate(r.model, out);
  const GenerateOptions& s = r.sampling;
  if (s.max_new_tokens < 0) out.push_back("max_new_tokens: must be >= 0");
  if (s.temperature < 0) out.push_back("temperature: must be >= 0");
  if (s.top_k < 0) out.push_back("top_k: must be >= 0 (0 = off)");
  if (!(s.top_p > 0 && s.top_p <= 1)) out.push_back("top_p: must be in (0, 1]");
  if (!r.chat && !r.system.empty()) out.push_back("system: a system message needs chat (it goes into the chat template)");
  return out;
}

std::string render_chat_prompt(const ChatTemplate& chat, const GenerateRequest& r) {
  std::vector<ChatMessage> messages;
  if (!r.system.empty()) messages.push_back({"system", r.system});
  messages.push_back({"user", r.prompt});
  return chat.render(messages, /*add_generation_prompt=*/true);
}

GenerateOutcome run_generate(const GenerateRequest& r, const std::function<void(const std::string&)>& on_text,
                             const CancelToken* cancel, EvalModel* preloaded) {
  throw_if_problems("generate", validate(r));
  std::optional<ChatTemplate> chat;  // read before the model loads: a missing or broken template fails at once
  if (r.chat) {
    chat = ChatTemplate::from_directory(r.model.model_dir);
    if (!chat)
      throw make_error(ErrorKind::kInvalidInput, r.model.model_dir.string(),
                       "has no chat template (neither chat_template.jinja nor a chat_template in tokenizer_config.json); "
                       "generate from the plain prompt instead");
  }
  EvalModel own;
  if (!preloaded) own = load_eval_model(r.model, cancel);
  EvalModel& m = preloaded ? *preloaded : own;
  const Tokenizer& tok = m.loaded.require_tokenizer();
  const GenerateOptions& g = r.sampling;
  GenerateOutcome out;
  std::vector<int64_t> prompt;
  if (chat) {
    out.rendered_prompt = render_chat_prompt(*chat, r);
    prompt = tok.encode_text(out.rendered_prompt, /*add_special=*/false, /*parse_special=*/true);
  } else {
    out.rendered_prompt = r.prompt;
    prompt = tok.encode(r.prompt, /*add_bos=*/true);
  }
  // Decoded without the BOS the tokenizer adds (GPT-2 / Qwen2 tokenizers add none).
  const bool bos_first = !prompt.empty() && prompt.front() == tok.bos_id();
  std::vector<int64_t> all(prompt.begin() + (bos_first ? 1 : 0), prompt.end());
  out.prompt_text = tok.decode(all);
  std::string shown = out.prompt_text;
  // A chat prompt is echoed as rendered (its special tokens would vanish from a decode).
  const std::string& echo = chat ? out.rendered_prompt : shown;
  if (r.echo_prompt && on_text && !echo.empty()) on_text(echo);
  // What has been passed on is always a prefix of the final text: a decode
  // that ends in U+FFFD (a byte sequence a later token may complete) is held
  // back, as transformers' TextStreamer does, and a decode that rewrites
  // earlier text is not streamed (the outcome's text is the final decode).
  auto pass_on = [&](const std::string& text, bool last) {
    static const std::string kReplacement = "\xEF\xBF\xBD";
    const bool incomplete = text.size() >= 3 && text.compare(text.size() - 3, 3, kReplacement) == 0;
    if ((incomplete && !last) || text.size() <= shown.size() || text.compare(0, shown.size(), shown) != 0) return;
    if (on_text) on_text(text.substr(shown.size()));
    shown = text;
  };
  GenerateStats stats;
  generate(m.loaded.model, prompt, g,
           [&](int64_t token) {
             all.push_back(token);
             pass_on(tok.decode(all), /*last=*/false);  // decode the whole text: pieces merge across tokens
             return !(cancel && cancel->cancelled());
           },
           &stats);
  if (cancel) cancel->throw_if_cancelled("generate");
  const std::string final_text = tok.decode(all);
  pass_on(final_text, /*last=*/true);
  // The continuation: the whole decode after the prompt's, or, where decoding
  // merged the prompt's last pieces with new ones (byte-fallback tokens that
  // complete a character across the boundary), the new tokens decoded alone.
  const bool prefix = final_text.compare(0, out.prompt_text.size(), out.prompt_text) == 0;
  out.text = prefix ? final_text.substr(out.prompt_text.size())
                    : tok.decode(std::vector<int64_t>(all.begin() + static_cast<std::ptrdiff_t>(prompt.size() - (bos_first ? 1 : 0)), all.end()));
  out.prompt_tokens = stats.prompt_tokens;
  out.new_tokens = stats.new_tokens;
  out.prefill_seconds = stats.prefill_seconds;
  out.decode_seconds = stats.decode_seconds;
  return out;
}

}  // namespace irq
