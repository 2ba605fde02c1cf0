// Names of error kinds, for logs and the CLI.
#include "common/error.h"

namespace irq {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput: return "invalid input";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kUnsupported: return "unsupported";
    case ErrorKind::kIo: return "i/o error";
    case ErrorKind::kUsage: return "usage";
    case ErrorKind::kCancelled: return "cancelled";
  }
  return "error";
}

}  // namespace irq
