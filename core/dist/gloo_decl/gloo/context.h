// Declarations only (see ../README.md): held by shared_ptr in ProcessGroupGloo,
// whose inline setTimeout names this one member (never called by the engine).
#pragma once
#include <chrono>
namespace gloo {
class Context {
 public:
  void setTimeout(std::chrono::milliseconds timeout);
};
}  // namespace gloo
