// Ablation cells and report tables (see ablation_grid.h).
#include "experiments/ablation_grid.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "common/error.h"
#include "common/join.h"
#include "quant/quant_format.h"

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

const std::vector<std::string>& ablation_variants() {
  static const std::vector<std::string> v = {"QLoRA", "+ICQ", "+IEC", "IR-QLoRA"};
  return v;
}

AblationGrid make_ablation_grid(const std::vector<int>& bits, const std::vector<std::string>& methods) {
  if (bits.empty() || methods.empty()) throw make_error(ErrorKind::kUsage, "experiment ablation", "--bits and --methods must name at least one each");
  AblationGrid g;
  const std::string known = join(quant_format_names());
  for (const auto& m : methods) {
    const QuantFormat* f = find_quant_format(m);
    if (!f || f->name != m) throw make_error(ErrorKind::kUsage, "--methods", "unknown method '" + m + "' (" + known + ")");
    for (int b : bits) {
      if (b < 2 || b > 8) throw make_error(ErrorKind::kUsage, "--bits", std::to_string(b) + " is not between 2 and 8");
      if (std::find(f->bits.begin(), f->bits.end(), b) == f->bits.end()) {
        std::vector<std::string> widths;
        for (int w : f->bits) widths.push_back(std::to_string(w));
        g.skipped.push_back(m + " at " + std::to_string(b) + " bits: the " + m + " format has " + join(widths) + " bits");
        continue;
      }
      const std::string quant = method_name(*f, b);
      for (size_t v = 0; v < ablation_variants().size(); ++v)
        g.cells.push_back({ablation_variants()[v], quant, v == 1 || v == 3, v == 2 || v == 3});
    }
  }
  return g;
}

AblationTable ablation_table(const AblationGrid& grid, const std::vector<AblationMetric>& metrics, const AblationResults& results) {
  AblationTable t;
  t.rows = ablation_variants();
  std::vector<std::string> quants;  // in grid order
  for (const auto& c : grid.cells)
    if (quants.empty() || quants.back() != c.quant) quants.push_back(c.quant);
  for (const auto& q : quants)
    for (const auto& m : metrics)
      t.columns.push_back({q, m.name, upper(q) + " " + (m.name == "ppl" ? "PPL" : m.name == "mmlu" ? "MMLU %" : "tasks %"), m.lower_is_better, -1});
  t.values.assign(t.rows.size(), std::vector<std::optional<double>>(t.columns.size()));
  for (const auto& c : grid.cells) {
    const auto r = results.find(c.key());
    if (r == results.end()) continue;
    const size_t row = static_cast<size_t>(std::find(t.rows.begin(), t.rows.end(), c.variant) - t.rows.begin());
    for (size_t k = 0; k < t.columns.size(); ++k) {
      if (t.columns[k].quant != c.quant) continue;
      const auto m = r->second.find(t.columns[k].metric);
      if (m != r->second.end()) t.values[row][k] = m->second;
    }
  }
  for (size_t k = 0; k < t.columns.size(); ++k) {
    auto& col = t.columns[k];
    for (size_t row = 0; row < t.rows.size(); ++row) {
      const auto& v = t.values[row][k];
      if (!v) continue;
      const auto& best = col.best >= 0 ? t.values[static_cast<size_t>(col.best)][k] : std::optional<double>();
      if (!best || (col.lower_is_better ? *v < *best : *v > *best)) col.best = static_cast<int>(row);
    }
  }
  return t;
}

std::string AblationTable::text(size_t row, size_t col) const {
  const auto& v = values[row][col];
  return v ? format(*v, columns[col].metric) : std::string();
}

AblationReport ablation_report(const AblationGrid& grid, const std::vector<AblationMetric>& metrics, const AblationResults& results,
                               const std::string& title) {
  const auto t = ablation_table(grid, metrics, results);
  std::ostringstream md, csv, tex;
  md << "### " << title << "\n\n| Method |";
  csv << "method";
  tex << "% " << title << "\n\\begin{tabular}{l" << std::string(t.columns.size(), 'c') << "}\n\\toprule\nMethod";
  for (const auto& c : t.columns) {
    md << " " << c.header << " |";
    csv << "," << c.header;
    tex << " & " << latex_escape(c.header);
  }
  md << "\n|---|";
  for (size_t i = 0; i < t.columns.size(); ++i) md << "---:|";
  md << "\n";
  csv << "\n";
  tex << " \\\\\n\\midrule\n";
  for (size_t row = 0; row < t.rows.size(); ++row) {
    md << "| " << t.rows[row] << " |";
    csv << t.rows[row];
    tex << latex_escape(t.rows[row]);
    for (size_t k = 0; k < t.columns.size(); ++k) {
      if (!t.values[row][k]) {
        md << " – |";
        csv << ",";
        tex << " & --";
        continue;
      }
      const std::string s = t.text(row, k);
      const bool top = t.columns[k].best == static_cast<int>(row);
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
