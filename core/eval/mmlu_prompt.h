// MMLU prompts byte for byte as hendrycks/test (and IR-QLoRA's evaluation;
// icq_oracle.py mmlu_prompt): the subject formatted with a leading space per
// word ("about  abstract algebra."), k dev examples with answers, then the
// question with "Answer:".
#pragma once

#include <string>
#include <vector>

#include "eval/mmlu_data.h"

namespace irq {

std::string mmlu_header(const std::string& subject, const std::vector<MmluQuestion>& dev, int k);
std::string mmlu_example(const MmluQuestion& q, bool with_answer);
inline std::string mmlu_prompt(const std::string& subject, const std::vector<MmluQuestion>& dev, const MmluQuestion& q, int k) {
  return mmlu_header(subject, dev, k) + mmlu_example(q, false);
}

}  // namespace irq
