// irqlora runs list | show ID | compare ID ID... | tag ID TAG [--remove] |
// note ID TEXT | delete ID: the local runs database from the terminal.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/verbs.h"
#include "common/error.h"
#include "runs/runs_db.h"

namespace irq::cli {

namespace {

RunsDb open_db(const ParsedArgs& args) { return RunsDb(args.has("db") ? std::filesystem::path(args.str("db")) : RunsDb::default_path()); }

int64_t run_id(const std::string& s) {
  char* end = nullptr;
  const long long id = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end || id <= 0) throw Error(ErrorKind::kUsage, "run id '" + s + "' is not a positive integer");
  return id;
}

std::string tags_of(const RunRecord& r) {
  std::string t;
  for (const auto& x : r.tags) t += (t.empty() ? "" : ",") + x;
  return t;
}

int list(const ParsedArgs& args) {
  RunsDb db = open_db(args);
  std::printf("%-5s %-10s %-12s %-20s %-20s %s\n", "id", "kind", "status", "started", "tags", "model");
  for (const auto& r : db.list())
    std::printf("%-5lld %-10s %-12s %-20s %-20s %s\n", (long long)r.id, r.kind.c_str(), r.status.c_str(), r.started_at.c_str(),
                tags_of(r).c_str(), r.model_path.c_str());
  return 0;
}

int show(const ParsedArgs& args) {
  RunsDb db = open_db(args);
  const RunRecord r = db.get(run_id(args.positional[0]));
  std::printf("run %lld: %s, %s\nmodel    %s (%s)\ndevice   %s, irqlora %s\ntime     %s -> %s\n", (long long)r.id, r.kind.c_str(),
              r.status.c_str(), r.model_path.c_str(), r.model_hash.c_str(), r.device.c_str(), r.version.c_str(),
              r.started_at.c_str(), r.ended_at.c_str());
  if (!r.error.empty()) std::printf("error    %s\n", r.error.c_str());
  if (!r.tags.empty()) std::printf("tags     %s\n", tags_of(r).c_str());
  if (!r.notes.empty()) std::printf("notes    %s\n", r.notes.c_str());
  std::printf("config   %s\n", r.config_json.c_str());
  std::map<std::string, std::pair<int64_t, double>> last;
  for (const auto& m : db.metrics(r.id)) last[m.name] = {m.step, m.value};
  for (const auto& [name, v] : last) std::printf("metric   %-28s %.6g (step %lld)\n", name.c_str(), v.second, (long long)v.first);
  for (const auto& s : db.mmlu(r.id))
    std::printf("mmlu     %-40s %6.2f%% (%lld/%lld)\n", s.subject.c_str(), s.total ? 100.0 * s.correct / s.total : 0.0,
                (long long)s.correct, (long long)s.total);
  for (const auto& l : db.quant_layers(r.id))
    std::printf("layer    %-44s H %.4f -> %.4f  SQNR %.2f dB  %.3f bits\n", l.name.c_str(), l.entropy_plain, l.entropy, l.sqnr_db,
                l.bits_per_weight);
  for (const auto& [kind, path] : db.artifacts(r.id)) std::printf("artifact %-14s %s\n", kind.c_str(), path.c_str());
  return 0;
}

int compare(const ParsedArgs& args) {
  if (args.positional.size() < 2) throw Error(ErrorKind::kUsage, "compare needs two or more run ids");
  RunsDb db = open_db(args);
  std::vector<RunRecord> runs;
  for (const auto& s : args.positional) runs.push_back(db.get(run_id(s)));
  // Config keys whose values differ.
  std::set<std::string> keys;
  std::vector<nlohmann::json> configs;
  for (const auto& r : runs) {
    auto j = nlohmann::json::parse(r.config_json, nullptr, false);
    configs.push_back(j.is_object() ? j.flatten() : nlohmann::json::object());
    for (auto it = configs.back().begin(); it != configs.back().end(); ++it) keys.insert(it.key());
  }
  std::printf("%-32s", "");
  for (const auto& r : runs) std::printf(" %18s", ("run " + std::to_string(r.id)).c_str());
  std::printf("\n%-32s", "kind / status");
  for (const auto& r : runs) std::printf(" %18s", (r.kind + "/" + r.status).c_str());
  std::printf("\n");
  for (const auto& k : keys) {
    std::set<std::string> values;
    for (const auto& c : configs) values.insert(c.contains(k) ? c[k].dump() : "-");
    if (values.size() < 2) continue;
    std::printf("%-32s", ("config " + k).c_str());
    for (const auto& c : configs) std::printf(" %18s", c.contains(k) ? c[k].dump().c_str() : "-");
    std::printf("\n");
  }
  std::set<std::string> metric_names;
  std::vector<std::map<std::string, double>> lasts;
  for (const auto& r : runs) {
    lasts.emplace_back();
    for (const auto& m : db.metrics(r.id)) {
      lasts.back()[m.name] = m.value;
      metric_names.insert(m.name);
    }
  }
  for (const auto& n : metric_names) {
    std::printf("%-32s", n.c_str());
    for (const auto& l : lasts) l.count(n) ? std::printf(" %18.6g", l.at(n)) : std::printf(" %18s", "-");
    std::printf("\n");
  }
  return 0;
}

int tag(const ParsedArgs& args) {
  RunsDb db = open_db(args);
  const int64_t id = run_id(args.positional[0]);
  if (args.flag("remove")) db.remove_tag(id, args.positional[1]);
  else db.add_tag(id, args.positional[1]);
  std::printf("%s run %lld: %s\n", args.flag("remove") ? "untagged" : "tagged", (long long)id, args.positional[1].c_str());
  return 0;
}

int note(const ParsedArgs& args) {
  RunsDb db = open_db(args);
  db.set_note(run_id(args.positional[0]), args.positional[1]);
  std::printf("noted run %s\n", args.positional[0].c_str());
  return 0;
}

int remove(const ParsedArgs& args) {
  RunsDb db = open_db(args);
  db.remove(run_id(args.positional[0]));
  std::printf("deleted run %s\n", args.positional[0].c_str());
  return 0;
}

std::vector<OptionSpec> db_option() { return {{"db", "PATH", "runs database (default $IRQ_RUNS_DB or ~/.local/share/irqlora/runs.sqlite)", ""}}; }

}  // namespace

std::vector<Verb> runs_verbs() {
  return {{{"runs list", "", "list every recorded run", db_option(), 0, 0}, &list},
          {{"runs show", "ID", "one run: config, metrics, MMLU, layers, artifacts", db_option(), 1, 1}, &show},
          {{"runs compare", "ID ID...", "runs side by side: differing config, last metrics", db_option(), 2, 64}, &compare},
          {{"runs tag", "ID TAG", "tag a run (--remove to untag)", {{"remove", "", "remove the tag", ""}, db_option()[0]}, 2, 2}, &tag},
          {{"runs note", "ID TEXT", "set a run's free-text note", db_option(), 2, 2}, &note},
          {{"runs delete", "ID", "delete a run and all it recorded", db_option(), 1, 1}, &remove}};
}

}  // namespace irq::cli
