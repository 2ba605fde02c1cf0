// MMLU prompt formatting.
#include "eval/mmlu_prompt.h"

#include <algorithm>

namespace irq {

std::string mmlu_example(const MmluQuestion& q, bool with_answer) {
  std::string s = q.question;
  for (int k = 0; k < 4; ++k) s += std::string("\n") + static_cast<char>('A' + k) + ". " + q.choices[k];
  s += "\nAnswer:";
  if (with_answer) s += std::string(" ") + static_cast<char>('A' + q.answer) + "\n\n";
  return s;
}

std::string mmlu_header(const std::string& subject, const std::vector<MmluQuestion>& dev, int k) {
  std::string subj;
  size_t start = 0;
  for (;;) {  // "".join(" " + p for p in subject.split("_"))
    const size_t us = subject.find('_', start);
    subj += " " + subject.substr(start, us == std::string::npos ? std::string::npos : us - start);
    if (us == std::string::npos) break;
    start = us + 1;
  }
  std::string s = "The following are multiple choice questions (with answers) about " + subj + ".\n\n";
  const int shots = std::min<int>(k, static_cast<int>(dev.size()));
  for (int i = 0; i < shots; ++i) s += mmlu_example(dev[static_cast<size_t>(i)], true);
  return s;
}

}  // namespace irq
