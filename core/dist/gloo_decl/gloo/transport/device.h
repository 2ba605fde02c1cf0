// Declarations only (see ../../README.md): held by shared_ptr / unique_ptr in
// ProcessGroupGloo and its Options.
#pragma once
namespace gloo::transport {
class Device;
class UnboundBuffer;
}  // namespace gloo::transport
