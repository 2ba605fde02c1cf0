// The CLI's exit codes and the error kinds they stand for, in both
// directions: the CLI exits with exit_code(kind); a program that ran the CLI
// (jobs/remote_job.h) turns the code back into the kind.
//   0 ok, 1 internal error, 2 usage, 3 invalid input, 4 not found,
//   5 unsupported, 6 i/o, 130 cancelled
#pragma once

#include "common/error.h"

namespace irq {

inline int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage: return 2;
    case ErrorKind::kInvalidInput: return 3;
    case ErrorKind::kNotFound: return 4;
    case ErrorKind::kUnsupported: return 5;
    case ErrorKind::kIo: return 6;
    case ErrorKind::kCancelled: return 130;
  }
  return 1;
}

// The kind behind a CLI exit code; kIo for 1 and codes the CLI does not use.
inline ErrorKind error_kind(int exit_code) {
  switch (exit_code) {
    case 2: return ErrorKind::kUsage;
    case 3: return ErrorKind::kInvalidInput;
    case 4: return ErrorKind::kNotFound;
    case 5: return ErrorKind::kUnsupported;
    case 130: return ErrorKind::kCancelled;
    default: return ErrorKind::kIo;
  }
}

}  // namespace irq
