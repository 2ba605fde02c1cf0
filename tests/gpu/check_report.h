// The reporting helpers of irqlora-check-cuda, shared by its source files:
// every comparison printed with its value and named tolerance; failures counted.
#pragma once

#include <string>

#include <torch/types.h>

namespace irq::check {

void report(const std::string& what, double value, double tol, bool ok);
void expect_le(const std::string& what, double value, double tol);
// The device the checks compare against the CPU (the CPU itself in a --device cpu dry run).
const torch::Device& cuda_device();

}  // namespace irq::check

// cuda_check_quant.cpp
void check_device_quantization();
void check_quantized_linear();
