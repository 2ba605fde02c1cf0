// Calibration segments for GPTQ (calibration.h).
#include "quant/gptq/calibration.h"

#include "common/error.h"
#include "io/text_file.h"
#include "text/tokenizer.h"

namespace irq {

namespace {

constexpr size_t kMaxCalibrationBytes = size_t{4} << 30;

uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<int64_t> calibration_starts(uint64_t seed, int64_t count, int64_t tokens, int64_t seqlen) {
  const uint64_t limit = static_cast<uint64_t>(tokens - seqlen + 1);
  std::vector<int64_t> starts;
  uint64_t state = seed;
  for (int64_t i = 0; i < count; ++i) starts.push_back(static_cast<int64_t>(splitmix64(&state) % limit));
  return starts;
}

std::vector<int64_t> calibration_tokens(const Tokenizer& tokenizer, const std::filesystem::path& file, int64_t nsamples,
                                        int64_t seqlen, uint64_t seed) {
  const std::string text = read_text_file(file, kMaxCalibrationBytes, "calibration text");
  // Calibration text is data: special-token markup in it is not parsed.
  const auto ids = tokenizer.encode_text(text, /*add_special=*/true, /*parse_special=*/false);
  const int64_t n = static_cast<int64_t>(ids.size());
  if (n < seqlen)
    throw make_error(ErrorKind::kInvalidInput, file.string(),
                     "calibration text has " + std::to_string(n) + " tokens, fewer than one segment of " + std::to_string(seqlen) +
                         " (use a longer text or a smaller --seqlen)");
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(nsamples * seqlen));
  for (int64_t s : calibration_starts(seed, nsamples, n, seqlen)) out.insert(out.end(), ids.begin() + s, ids.begin() + s + seqlen);
  return out;
}

}  // namespace irq
