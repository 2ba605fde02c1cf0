// The paper's ablation (Table 4 of arXiv 2402.05445) as a grid: the four
// variants {QLoRA: plain quantization + LoRA, +ICQ, +IEC, IR-QLoRA: ICQ +
// IEC} for each quantization (method x bits), and its report laid out like
// the paper's tables: rows = variant, columns = quantization x metric, the
// best of each column marked (lowest perplexity, highest accuracy), in
// Markdown, CSV and LaTeX. Torch-free: the job (jobs/ablation_job.h) runs
// the cells, this names them and writes the tables.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace irq {

struct AblationCell {
  std::string variant;  // "QLoRA", "+ICQ", "+IEC", "IR-QLoRA"
  std::string quant;    // nf4, int2, int3, int4, int8
  bool icq = false, iec = false;
  std::string key() const;  // folder and tag name: "int3-icq-iec"
};

const std::vector<std::string>& ablation_variants();  // the four rows, in the paper's order

struct AblationGrid {
  std::vector<AblationCell> cells;
  std::vector<std::string> skipped;  // "nf4 at 3 bits: the nf4 format has 4 bits"
};
// methods: "nf4" (4 bits only) and/or "int"; bits from 2 to 8.
AblationGrid make_ablation_grid(const std::vector<int>& bits, const std::vector<std::string>& methods);

// One metric column group: name, whether lower is better, printf format.
struct AblationMetric {
  std::string name;  // "ppl", "mmlu", "tasks"
  bool lower_is_better = false;
};

// cell key -> metric -> value (missing: not run yet / not measured)
using AblationResults = std::map<std::string, std::map<std::string, double>>;

// The report's table: rows = the four variants, columns = quantization x
// metric, and the best row of each column (-1 when the column is empty).
struct AblationTable {
  struct Column {
    std::string quant, metric, header;  // header: "INT3 PPL", "NF4 MMLU %"
    bool lower_is_better = false;
    int best = -1;
  };
  std::vector<Column> columns;
  std::vector<std::string> rows;                       // ablation_variants()
  std::vector<std::vector<std::optional<double>>> values;  // [row][column]; accuracies as fractions
  std::string text(size_t row, size_t col) const;      // "12.34", accuracies in percent; "" when missing
};
AblationTable ablation_table(const AblationGrid& grid, const std::vector<AblationMetric>& metrics, const AblationResults& results);

struct AblationReport {
  std::string markdown, csv, latex;
};
AblationReport ablation_report(const AblationGrid& grid, const std::vector<AblationMetric>& metrics, const AblationResults& results,
                               const std::string& title);

}  // namespace irq
