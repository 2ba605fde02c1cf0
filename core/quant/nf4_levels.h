// bitsandbytes' NormalFloat-4 format constants (QLoRA): the 16 levels and
// the 15 encoder thresholds (midpoints of adjacent levels; code = number of
// thresholds t with x > t, ties round down), as float32, and sigma, the NF4
// normalisation constant IR-QLoRA scales its tau search by: the authors'
// utils.py computes it from norm.ppf(torch.linspace(0.9677083, 0.5, 9)) held
// in float32: 1 / float32(Phi^-1(float32(0.9677083))) = 1 / 1.8481308221817017
// = 0.5410872368978237, as shared/reference/icq_oracle.py. (An earlier oracle had
// 1 / 1.8477293077412443 = 0.541205, a 0.02% too wide candidate grid.)
#pragma once

#include <array>

namespace irq {

inline constexpr std::array<float, 16> kNf4Levels = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
    -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
    0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
    0.7229568362236023f, 1.0f};

inline constexpr std::array<float, 15> kNf4Thresholds = {
    -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f,
    -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
    0.1202552504837513f, 0.2035212516784668f, 0.2920137718319893f, 0.3893125355243683f,
    0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f};

inline constexpr double kNf4Sigma = 0.5410872368978237;

// Code of x = w / absmax: the number of thresholds below x.
inline int nf4_code(float x) {
  int c = 0;
  for (float t : kNf4Thresholds) c += x > t;
  return c;
}

}  // namespace irq
