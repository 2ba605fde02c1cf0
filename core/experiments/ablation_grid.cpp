// Ablation cells and report tables (see ablation_grid.h).
#include "experiments/ablation_grid.h"

#include <cstdio>
#include <sstream>

#include "common/error.h"

namespace irq {

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return s;
}

std::string format(double v, const std::string& metric) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", metric == "ppl" ? v : 100 * v);  // accuracies in percent
  return buf;
}

std::string latex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '_' || c == '%' || c == '&' || c == '#') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string AblationCell::key() const { return quant + (icq ? "-icq" : "-plain") + (iec ? "-iec" : "-lora"); }
std::string AblationCell::column() const { return upper(quant); }

const std::vector<std::string>& ablation_variants() {
  static const std::vector<std::string> v = {"QLoRA", "+ICQ", "+IEC", "IR-QLoRA"};
  return v;
}

AblationGrid make_ablation_grid(const std::vector<int>& bits, const std::vector<std::string>& methods) {
  if (bits.empty() || methods.empty()) throw make_error(ErrorKind::kUsage, "experiment ablation", "--bits and --methods must name at least one each");
  AblationGrid g;
  for (const auto& m : methods) {
    if (m != "nf4" && m != "int") throw make_error(ErrorKind::kUsage, "--methods", "unknown method '" + m + "' (nf4, int)");
    for (int b : bits) {
      if (b < 2 || b > 8) throw make_error(ErrorKind::kUsage, "--bits", std::to_string(b) + " is not between 2 and 8");
      if (m == "nf4" && b != 4) {
        g.skipped.push_back("nf4 at " + std::to_string(b) + " bits: NormalFloat is 4-bit only here");
        continue;
      }
      if (m == "int" && b != 2 && b != 3 && b != 4 && b != 8) {
        g.skipped.push_back("int at " + std::to_string(b) + " bits: the INT formats are 2, 3, 4 and 8 bits");
        continue;
      }
      const std::string quant = m == "nf4" ? "nf4" : "int" + std::to_string(b);
      for (size_t v = 0; v < ablation_variants().size(); ++v)
        g.cells.push_back({ablation_variants()[v], quant, v == 1 || v == 3, v == 2 || v == 3});
    }
  }
  return g;
}

AblationReport ablation_report(const AblationGrid& grid, const std::vector<AblationMetric>& metrics, const AblationResults& results,
                               const std::string& title) {
  // Columns: each quantization (in grid order) x each metric.
  std::vector<std::string> quants;
  for (const auto& c : grid.cells)
    if (quants.empty() || quants.back() != c.quant) quants.push_back(c.quant);
  struct Column {
    std::string quant, header;
    AblationMetric metric;
  };
  std::vector<Column> cols;
  for (const auto& q : quants)
    for (const auto& m : metrics) cols.push_back({q, upper(q) + " " + (m.name == "ppl" ? "PPL" : m.name == "mmlu" ? "MMLU %" : "tasks %"), m});
  auto value = [&](const std::string& variant, const Column& col, double& v) {
    for (const auto& c : grid.cells)
      if (c.variant == variant && c.quant == col.quant) {
        const auto r = results.find(c.key());
        if (r == results.end()) return false;
        const auto m = r->second.find(col.metric.name);
        if (m == r->second.end()) return false;
        v = m->second;
        return true;
      }
    return false;
  };
  // The best value of each column.
  std::vector<double> best(cols.size());
  std::vector<bool> has_best(cols.size(), false);
  for (size_t i = 0; i < cols.size(); ++i)
    for (const auto& variant : ablation_variants()) {
      double v;
      if (!value(variant, cols[i], v)) continue;
      if (!has_best[i] || (cols[i].metric.lower_is_better ? v < best[i] : v > best[i])) best[i] = v;
      has_best[i] = true;
    }
  std::ostringstream md, csv, tex;
  md << "### " << title << "\n\n| Method |";
  csv << "method";
  tex << "% " << title << "\n\\begin{tabular}{l" << std::string(cols.size(), 'c') << "}\n\\toprule\nMethod";
  for (const auto& c : cols) {
    md << " " << c.header << " |";
    csv << "," << c.header;
    tex << " & " << latex_escape(c.header);
  }
  md << "\n|---|";
  for (size_t i = 0; i < cols.size(); ++i) md << "---:|";
  md << "\n";
  csv << "\n";
  tex << " \\\\\n\\midrule\n";
  for (const auto& variant : ablation_variants()) {
    md << "| " << variant << " |";
    csv << variant;
    tex << latex_escape(variant);
    for (size_t i = 0; i < cols.size(); ++i) {
      double v;
      if (!value(variant, cols[i], v)) {
        md << " – |";
        csv << ",";
        tex << " & --";
        continue;
      }
      const std::string s = format(v, cols[i].metric.name);
      const bool top = has_best[i] && v == best[i];
      md << " " << (top ? "**" + s + "**" : s) << " |";
      csv << "," << s << (top ? "*" : "");
      tex << " & " << (top ? "\\textbf{" + s + "}" : s);
    }
    md << "\n";
    csv << "\n";
    tex << " \\\\\n";
  }
  tex << "\\bottomrule\n\\end{tabular}\n";
  md << "\nBest per column in bold (lowest perplexity, highest accuracy); – = not run.\n";
  for (const auto& s : grid.skipped) md << "Not in the grid: " << s << ".\n";
  return {md.str(), csv.str(), tex.str()};
}

}  // namespace irq
