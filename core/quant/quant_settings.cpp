// Quantizer settings: names, validation, JSON.
#include "quant/quant_settings.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/join.h"
#include "quant/quant_format.h"

namespace irq {

namespace {

// "NF4", "INT4": the format's name in capitals, with the bits when it has several widths.
std::string display_name(const QuantFormat& f, int bits) {
  std::string out = f.name;
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return f.bits.size() == 1 ? out : out + std::to_string(bits);
}

}  // namespace

QuantSettings QuantSettings::for_method(const std::string& method) {
  const QuantFormat* f = find_quant_format(method);
  int bits = 0;
  if (f)
    for (int b : f->bits)
      if (method_name(*f, b) == method) bits = b;
  if (!f || bits == 0)
    throw make_error(ErrorKind::kUsage, "--method " + method, "unknown quantization method (" + join(quant_method_names()) + ")");
  QuantSettings s;
  s.method = method;
  s.bits = bits;
  s.n = f->default_n;
  return s;
}

void QuantSettings::validate() const {
  auto bad = [](const std::string& what) { return make_error(ErrorKind::kUsage, "quantization settings", what); };
  const QuantFormat& f = require_quant_format(method);
  const bool per_channel = block_size == 0 && f.row_groups;
  if (!per_channel && (block_size < 2 || block_size > 4096))
    throw bad("block/group size must be in [2, 4096]" + std::string(f.row_groups ? " or 0 (per channel)" : "") + ", got " +
              std::to_string(block_size));
  if (icq && (n < 1 || n > 10000)) throw bad("n must be in [1, 10000], got " + std::to_string(n));
  if (icq && !(lambda > 0 && lambda < 1)) throw bad("lambda must be in (0, 1), got " + std::to_string(lambda));
  if (stats_block < 1) throw bad("stats block must be positive");
  if (f.validate) f.validate(*this);  // bits, block shape: the format's own rules
  if (gptq.enabled) {
    if (!f.gptq) {
      std::vector<std::string> with;
      for (const auto& m : quant_method_names())
        if (require_quant_format(m).gptq) with.push_back(m);
      throw bad("GPTQ quantizes to INT-k (" + join(with) + "), not " + method);
    }
    if (gptq.calib.empty()) throw bad("GPTQ needs calibration text (--calib FILE)");
    if (gptq.nsamples < 1 || gptq.nsamples > 1000000) throw bad("GPTQ nsamples must be in [1, 1000000], got " + std::to_string(gptq.nsamples));
    if (gptq.seqlen < 2 || gptq.seqlen > 1000000) throw bad("GPTQ seqlen must be in [2, 1000000], got " + std::to_string(gptq.seqlen));
    if (!(gptq.damp > 0 && gptq.damp <= 1)) throw bad("GPTQ damp must be in (0, 1], got " + std::to_string(gptq.damp));
  } else if (gptq.sym || gptq.act_order) {
    throw bad("symmetric ranges and act-order are GPTQ options (add --gptq)");
  }
}

nlohmann::json QuantSettings::to_json() const {
  nlohmann::json j = {{"method", method}, {"bits", bits}, {"block_size", block_size}, {"icq", icq},
                      {"lambda", lambda}, {"n", n},       {"stats_block", stats_block}};
  if (gptq.enabled)
    j["gptq"] = {{"sym", gptq.sym},        {"act_order", gptq.act_order}, {"damp", gptq.damp}, {"calib", gptq.calib},
                 {"nsamples", gptq.nsamples}, {"seqlen", gptq.seqlen},     {"seed", gptq.seed}};
  return j;
}

QuantSettings QuantSettings::from_json(const nlohmann::json& j, const std::string& source) {
  try {
    QuantSettings s = for_method(j.at("method").get<std::string>());
    s.bits = j.value("bits", s.bits);
    s.block_size = j.value("block_size", s.block_size);
    s.icq = j.value("icq", s.icq);
    s.lambda = j.value("lambda", s.lambda);
    s.n = j.value("n", s.n);
    s.stats_block = j.value("stats_block", s.stats_block);
    if (j.contains("gptq") && !j.at("gptq").is_null()) {
      const auto& g = j.at("gptq");
      s.gptq.enabled = true;
      s.gptq.sym = g.value("sym", s.gptq.sym);
      s.gptq.act_order = g.value("act_order", s.gptq.act_order);
      s.gptq.damp = g.value("damp", s.gptq.damp);
      s.gptq.calib = g.value("calib", s.gptq.calib);
      s.gptq.nsamples = g.value("nsamples", s.gptq.nsamples);
      s.gptq.seqlen = g.value("seqlen", s.gptq.seqlen);
      s.gptq.seed = g.value("seed", s.gptq.seed);
    }
    s.validate();
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw make_error(ErrorKind::kInvalidInput, source, std::string("bad quantization settings: ") + e.what());
  } catch (const Error& e) {
    throw make_error(ErrorKind::kInvalidInput, source, e.what());
  }
}

std::string QuantSettings::short_name() const {
  return std::string(gptq.enabled ? "GPTQ-" : "") + (icq ? "ICQ-" : "") + display_name(require_quant_format(method), bits);
}

std::string QuantSettings::label() const {
  const bool groups = require_quant_format(method).row_groups;
  std::string out = short_name() + " (" +
                    (block_size == 0 ? std::string("per channel") : (groups ? "group " : "block ") + std::to_string(block_size));
  char buf[160];
  if (icq) {
    std::snprintf(buf, sizeof buf, ", lambda %g, n %d", lambda, n);
    out += buf;
  }
  if (gptq.enabled) {
    std::snprintf(buf, sizeof buf, "%s%s, damp %g, %lld x %lld calibration tokens", gptq.sym ? ", symmetric" : "",
                  gptq.act_order ? ", act-order" : "", gptq.damp, static_cast<long long>(gptq.nsamples),
                  static_cast<long long>(gptq.seqlen));
    out += buf;
  }
  return out + ")";
}

// projection_names, check_projection_names and parse_targets are declared in
// quant/model_quantizer.h; here so the torch-free irq_base has them.
const std::vector<std::string>& projection_names() {
  static const std::vector<std::string> names = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  return names;
}

void check_projection_names(const std::vector<std::string>& targets, const std::string& source, ErrorKind kind) {
  const auto& known = projection_names();
  for (const auto& t : targets)
    if (std::find(known.begin(), known.end(), t) == known.end())
      throw make_error(kind, source,
                       "target module '" + t + "' is not a decoder projection (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)");
}

std::vector<std::string> parse_targets(const std::string& list) {
  const auto& all = projection_names();
  if (list.empty() || list == "all") return all;
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.size() < 5 || item.compare(item.size() - 5, 5, "_proj") != 0) item += "_proj";
    if (std::find(all.begin(), all.end(), item) == all.end())
      throw make_error(ErrorKind::kUsage, "--targets " + list, "unknown projection '" + item + "' (q,k,v,o,gate,up,down)");
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace irq
