// libFuzzer entry for one target, chosen at build time (IRQ_FUZZ_TARGET):
// the same target functions as the mutation driver; an exception other than
// irq::Error is a finding (rethrown: libFuzzer reports it as a crash).
#include <cstdlib>
#include <cstdio>

#include "common/error.h"
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const irq::fuzz::Target* target = [] {
    const auto* t = irq::fuzz::find_target(IRQ_FUZZ_TARGET);
    if (!t) {
      std::fprintf(stderr, "no fuzz target %s\n", IRQ_FUZZ_TARGET);
      std::abort();
    }
    return t;
  }();
  try {
    target->run(data, size);
  } catch (const irq::Error&) {
  }
  return 0;
}
