// The machine-readable progress stream of `--progress jsonl` (any verb), for
// a program that runs the CLI and follows it (a remote job over ssh): one
// JSON object per line on stderr, keys in this order, flushed at once:
//   {"event":"start","verb":"quantize","pid":1234,"host":"gpu-1"}
//   {"event":"run","run_id":7,"db":"/home/u/.local/share/irqlora/runs.sqlite"}
//   {"event":"progress","stage":"quantize","done":45,"total":224,"elapsed_s":3.2,"eta_s":12.7}
//   {"event":"metrics","run_id":7,"step":40,"values":{"loss":2.31,"lr":0.0002}}
//   {"event":"artifact","run_id":7,"kind":"adapter","path":"/abs/out/adapter"}
//   {"event":"layer","run_id":7,"name":"model.layers.0.self_attn.q_proj.weight","numel":16777216,
//    "entropy_plain":3.71,"entropy":3.86,"mse":1.2e-5,"sqnr_db":20.4,"bits_per_weight":4.25,"offset_spread":0.02}
//     (quantize: one per layer, as the runs database records it; null for a value that is not finite)
//   {"event":"subject","run_id":7,"subject":"abstract_algebra","correct":31,"total":100}   (eval mmlu)
//   {"event":"task","run_id":7,"task":"piqa","n":1838,"acc":0.78,"acc_stderr":0.01,"acc_norm":0.79,"acc_norm_stderr":0.01}
//     (eval tasks; acc_norm null for a task without it)
//   {"event":"window","run_id":7,"index":0,"tokens":512,"nll":1234.5}   (eval ppl: summed nll of the window's scored tokens)
//   {"event":"message","text":"..."}
//   {"event":"result","exit_code":0,"error":null,"run_id":7,"seconds":15.2}
// The last line is always the result (exit code and, on failure, the error
// the terminal would show). Progress events come at most every 100 ms per
// stage, and always for the last unit. With the stream on, the terminal's
// progress bar and step line are off; stdout and the other stderr text stay
// as they are (a reader keeps the lines that start with '{"event":').
// Data parallel (--nproc N, torchrun): only rank 0 writes the stream.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace irq::cli::events {

bool enabled();
// Turns the stream on and writes the start event. announce = false: no
// start and no result event (rank 0 of `--nproc N`, whose launcher writes
// them for the whole job).
void enable(const std::string& verb, bool announce = true);
// Writes one event (`fields` after "event"); no-op when the stream is off. Thread-safe.
void emit(const std::string& event, const nlohmann::ordered_json& fields = nlohmann::ordered_json::object());
// A progress event for `stage`, throttled as above.
void progress(const std::string& stage, int64_t done, int64_t total);
// The run this process records into (for the events that follow).
void set_run(int64_t run_id);
int64_t run_id();
// The final event.
void result(int exit_code, const std::string& error);

}  // namespace irq::cli::events
