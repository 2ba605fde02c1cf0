// Typed errors of the engine. Every error names the file (and the tensor or
// field) it is about and the cause; the CLI maps the kind to an exit code and
// the GUI shows the message. The core never calls exit/abort on bad input.
#pragma once

#include <stdexcept>
#include <string>

namespace irq {

enum class ErrorKind {
  kInvalidInput,  // a file exists but its content is wrong (format, fields, shapes)
  kNotFound,      // a required file or tensor is missing
  kUnsupported,   // valid input this build does not handle (architecture, dtype)
  kIo,            // the operating system refused (open, mmap, write, rename)
  kUsage,         // a caller passed an invalid argument
  kCancelled,     // a cancel token stopped the work
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// "<where>: <what>", the one message shape used everywhere.
inline Error make_error(ErrorKind kind, const std::string& where, const std::string& what) {
  return Error(kind, where.empty() ? what : where + ": " + what);
}

const char* error_kind_name(ErrorKind kind);

}  // namespace irq
