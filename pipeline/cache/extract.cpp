#include "pipeline/cache/extract.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "pipeline/cache/chunk_compute.h"
#include "pipeline/cache/chunk_format.h"
#include "pipeline/cache/plan.h"
#include "pipeline/corpus/corpus.h"
#include "pipeline/model/checkpoint_files.h"
#include "pipeline/model/bert_config.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/human_bytes.h"
#include "pipeline/util/sha256.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string sha256_or_empty(const fs::path& p) { return fs::exists(p) ? sha256_file(p.string()) : std::string(); }

/// sha256 of a weights file, remembered for this process while its size and modification time
/// stay the same: a campaign extracts (or checks) one unit after another and each run's entries
/// again, all of the same model, and a BERT-large file is 1.3 GB to hash.
std::string weights_sha256(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::pair<std::string, std::string>> known;  // path -> (stamp, digest)
  const std::string stamp = cat(fs::file_size(path), ":", fs::last_write_time(path).time_since_epoch().count());
  std::lock_guard<std::mutex> lock(mutex);
  auto& [seen, digest] = known[path];
  if (seen != stamp || digest.empty()) {
    digest = sha256_file(path);
    seen = stamp;
  }
  return digest;
}


/// Sorted, unique, within [lo, hi]; empty -> all of [lo, hi].
std::vector<int64_t> resolve_list(std::vector<int64_t> v, int64_t lo, int64_t hi, const char* key) {
  if (v.empty()) {
    v.resize(hi - lo + 1);
    std::iota(v.begin(), v.end(), lo);
    return v;
  }
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  for (int64_t x : v)
    BTL_REQUIRE(x >= lo && x <= hi, key, ": ", x, " is out of range [", lo, ", ", hi, "] for this model");
  return v;
}


CacheSelection resolve_selection(const Params& p, const BertConfig& cfg) {
  CacheSelection sel;
  sel.layers = resolve_list(p.extract.layers, 0, cfg.num_hidden_layers, "extract.layers");
  sel.word_pooling = p.extract.word_pooling;
  sel.attention = p.extract.attention;
  if (sel.attention) {
    sel.attention_layers = resolve_list(p.extract.attention_layers, 0, cfg.num_hidden_layers - 1, "extract.attention_layers");
    sel.attention_heads = resolve_list(p.extract.attention_heads, 0, cfg.num_attention_heads - 1, "extract.attention_heads");
  }
  return sel;
}

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", std::localtime(&t));
  return buf;
}

json plan_json(const ExtractionPlan& plan, const Corpus& corpus, const Params& p, const BertConfig& cfg) {
  json chunks = json::array();
  for (const auto& c : plan.chunks)
    chunks.push_back({{"index", c.index}, {"first_sequence", c.first_sequence}, {"num_sequences", c.num_sequences},
                      {"num_tokens", c.num_tokens}, {"num_words", c.num_words}});
  return {{"num_sequences", plan.sequences.size()},
          {"num_tokens", plan.num_tokens},
          {"skipped_sentences", plan.skipped_sentences},
          {"truncated_sequences", plan.truncated_sequences},
          {"corpus", {{"path", corpus.path}, {"format", p.corpus.format}, {"sha256", corpus.content_sha256},
                      {"num_sentences", corpus.sentences.size()}}},
          {"model", {{"path", p.model.path}, {"num_layers", cfg.num_hidden_layers}, {"hidden_size", cfg.hidden_size},
                     {"num_heads", cfg.num_attention_heads}}},
          {"chunks", chunks}};
}

/// Expected bytes of all datasets of `plan` with selection `sel`.
double expected_bytes(const ExtractionPlan& plan, const CacheSelection& sel, const BertConfig& cfg, const std::string& dtype) {
  const double elt = dtype == "float32" ? 4 : 2;
  double N = 0, W = 0, T2 = 0;
  for (const auto& c : plan.chunks) N += c.num_tokens, W += c.num_words, T2 += c.attention_elements;
  double total = N * 12.0 + plan.sequences.size() * 40.0 + N * cfg.hidden_size * elt * sel.layers.size();
  if (sel.word_pooling != "none") total += W * cfg.hidden_size * elt * sel.layers.size();
  if (sel.attention) total += sel.attention_heads.size() * T2 * elt * sel.attention_layers.size();
  return total;
}

/// Expected bytes per dataset family, for --dry-run.
void print_dry_run(std::ostream& out, const ExtractionPlan& plan, const CacheSelection& sel, const BertConfig& cfg,
                   const std::string& dtype, const CacheEntry& entry, int64_t done) {
  const double elt = dtype == "float32" ? 4 : 2;
  int64_t N = 0, W = 0, T2 = 0;
  for (const auto& c : plan.chunks) N += c.num_tokens, W += c.num_words, T2 += c.attention_elements;
  out << "dry run: " << plan.chunks.size() << " chunks (" << done << " already finished), " << plan.sequences.size()
      << " sequences, " << N << " wordpieces, " << plan.skipped_sentences.size() << " sentences skipped (overlong), "
      << plan.truncated_sequences << " truncated\n  entry: " << entry.dir << "\n";
  out << "  chunk  sequences  wordpieces\n";
  for (size_t i = 0; i < plan.chunks.size(); ++i) {
    if (i == 10 && plan.chunks.size() > 12) {
      out << "  ... (" << plan.chunks.size() - 11 << " more)\n";
      i = plan.chunks.size() - 1;
    }
    const auto& c = plan.chunks[i];
    char line[96];
    std::snprintf(line, sizeof line, "  %5lld  %9lld  %10lld\n", static_cast<long long>(c.index),
                  static_cast<long long>(c.num_sequences), static_cast<long long>(c.num_tokens));
    out << line;
  }
  double total = 0;
  auto row = [&](const std::string& name, double bytes, size_t count) {
    total += bytes * count;
    out << "  " << name << ": " << human_bytes(bytes) << (count > 1 ? cat(" x ", count, " = ", human_bytes(bytes * count)) : "")
        << "\n";
  };
  out << "expected bytes (" << dtype << "):\n";
  row("tokens + sequences (ids, word ids, segments, offsets)", N * 12.0 + plan.sequences.size() * 40.0, 1);
  row(cat("hidden/layer_LL [", N, ", ", cfg.hidden_size, "]"), N * cfg.hidden_size * elt, sel.layers.size());
  if (sel.word_pooling != "none")
    row(cat("hidden_words/layer_LL [", W, ", ", cfg.hidden_size, "]"), W * cfg.hidden_size * elt, sel.layers.size());
  if (sel.attention)
    row(cat("attention/layer_LL [", sel.attention_heads.size(), " heads x sum T^2 = ", T2, "]"),
        sel.attention_heads.size() * T2 * elt, sel.attention_layers.size());
  out << "  total: " << human_bytes(total) << "\n";
  BTL_CHECK(std::abs(total - expected_bytes(plan, sel, cfg, dtype)) <= 1e-6 * total, "dry run: byte estimates disagree");
}

}  // namespace

CacheSelection requested_selection(const Params& p) {
  return resolve_selection(p, BertConfig::from_json_file((fs::path(p.model.path) / "config.json").string()));
}

std::string extraction_unit_id(const Params& p) {
  const auto absolute = [](const std::string& path) { return path.empty() ? path : fs::absolute(path).lexically_normal().string(); };
  const bool truncate = p.input.overlong == "truncate";
  json j = {{"model", absolute(p.model.path)}, {"compute_dtype", p.model.dtype},
            {"corpus", absolute(p.corpus.path)}, {"format", p.corpus.format}, {"max_sentences", p.corpus.max_sentences},
            {"special_tokens", p.tokenizer.add_special_tokens}, {"pairs", p.input.pairs},
            {"overlong", p.input.overlong}, {"max_length", truncate ? p.tokenizer.max_length : 0},
            {"chunk_tokens", p.extract.chunk_tokens}, {"batch_tokens", p.extract.batch_tokens},
            {"dtype", p.extract.dtype}, {"deflate", p.extract.deflate}, {"cache", absolute(p.cache.dir)}};
  return j.dump();
}

ExtractionOutcome run_extraction(const Params& p, const MpiContext& mpi, bool dry_run, std::ostream& out,
                                 const CacheSelection* also, bool quiet_dry_run) {
  const bool root = mpi.rank() == 0;
  ExtractionOutcome outcome;

  // 1. What changes the bytes. Rank 0 hashes the weights once (large files on shared storage).
  const BertConfig cfg = BertConfig::from_json_file((fs::path(p.model.path) / "config.json").string());
  const std::string weights = checkpoint_weights_file(p.model.path);
  CacheKeyParts key;
  key.model_sha256 = mpi.broadcast(root ? weights_sha256(weights) : std::string());
  key.vocab_sha256 = sha256_or_empty(fs::path(p.model.path) / "vocab.txt");
  key.model_config_sha256 = sha256_or_empty(fs::path(p.model.path) / "config.json");
  key.tokenizer_config_sha256 = sha256_or_empty(fs::path(p.model.path) / "tokenizer_config.json");
  key.compute_dtype = p.model.dtype;

  const Corpus corpus = read_corpus(p.corpus.path, parse_corpus_format(p.corpus.format), p.corpus.max_sentences);
  const BertTokenizer tokenizer = BertTokenizer::from_model_dir(p.model.path);
  InputPolicy policy;
  policy.special_tokens = p.tokenizer.add_special_tokens;
  policy.pairs = p.input.pairs;
  policy.truncate = p.input.overlong == "truncate";
  // Truncation changes the bytes, so its limit is part of the key. Skipping does not: the entry
  // stores every sequence that fits the model, and a smaller limit hides the longer ones at read
  // time, so studies with different limits share one entry.
  const int request_max_length = std::min(p.tokenizer.max_length, cfg.max_position_embeddings);
  policy.max_length = policy.truncate ? request_max_length : cfg.max_position_embeddings;
  const int64_t read_max_length = policy.max_length > request_max_length ? request_max_length : 0;
  const ExtractionPlan plan = make_plan(corpus, tokenizer, policy, p.extract.chunk_tokens);
  int64_t hidden_sequences = 0, hidden_sentences = 0;
  for (const auto& s : plan.sequences)
    if (read_max_length > 0 && s.length() > read_max_length) ++hidden_sequences, hidden_sentences += s.sentence_b >= 0 ? 2 : 1;
  BTL_REQUIRE(hidden_sequences < static_cast<int64_t>(plan.sequences.size()), corpus.path,
              ": every sentence is longer than tokenizer.max_length ", request_max_length, " (input.overlong: skip)");

  key.special_tokens = policy.special_tokens;
  key.pairs = policy.pairs;
  key.max_length = policy.max_length;
  key.overlong = p.input.overlong;
  key.corpus_sha256 = corpus.content_sha256;
  key.corpus_format = p.corpus.format;
  key.max_sentences = p.corpus.max_sentences;
  key.chunk_tokens = p.extract.chunk_tokens;
  key.batch_tokens = p.extract.batch_tokens;
  key.dtype = p.extract.dtype;
  key.deflate = p.extract.deflate;
  CacheSelection& sel = key.selection;
  sel = resolve_selection(p, cfg);
  const std::string request_digest = key_digest(key);
  if (also && sel.can_merge(*also)) sel = sel.merged(*also);
  if (root && hidden_sentences > 0)
    out << hidden_sentences << " sentence(s) over tokenizer.max_length " << request_max_length
        << " are stored for longer limits but left out of this request (input.overlong: skip)\n";
  outcome.chunks_total = static_cast<int64_t>(plan.chunks.size());
  outcome.hidden_sentences = hidden_sentences;
  // What a reader of this request sees of whichever entry serves it.
  const auto for_request = [&](CacheEntry e) {
    e.read_max_length = read_max_length;
    e.request_digest = request_digest;
    return e;
  };

  // 2. A complete entry with the same base whose selection covers this one serves it as is.
  // Otherwise complete entries with the same base but other datasets would have to be extracted
  // again beside this one: extract the union instead, which serves them all (they become
  // superseded; `bertology cache gc` removes them). Rank 0 decides and tells the others: ranks
  // looking on their own could see a concurrent run's manifest appear at different moments.
  std::string decision;  // {"reuse": [dir, digest, chunks]} | {"union": selection key JSON, "superseding": [dirs]} | {}
  if (root && !fs::exists(cache_entry_for(p.cache.dir, key_digest(key)).manifest_file())) {
    const std::string base = base_key_digest(key);
    const auto entries = list_cache(p.cache.dir);
    json d = json::object();
    for (const auto& s : entries)
      if (s.complete && base_key_digest(s.key) == base && s.key.selection.covers(sel)) {
        d["reuse"] = {s.entry.dir, s.key_digest, s.chunks_total};
        break;
      }
    if (!d.contains("reuse")) {
      CacheSelection widened = sel;
      json superseding = json::array();
      for (const auto& s : entries)
        if (s.complete && base_key_digest(s.key) == base && widened.can_merge(s.key.selection)) {
          widened = widened.merged(s.key.selection);
          superseding.push_back(s.entry.dir);
        }
      if (!superseding.empty()) {
        CacheKeyParts wide = key;
        wide.selection = widened;
        d["union"] = key_json(wide);
        d["superseding"] = superseding;
      }
    }
    decision = d.dump();
  }
  const json d = json::parse(mpi.broadcast(decision.empty() ? std::string("{}") : decision));
  if (d.contains("reuse")) {
    outcome.entry = for_request(CacheEntry{d["reuse"][0].get<std::string>()});
    outcome.key_digest = d["reuse"][1].get<std::string>();
    outcome.reused_superset = outcome.complete = true;
    outcome.chunks_done_before = d["reuse"][2].get<int64_t>();
    outcome.selection = sel;
    outcome.num_tokens = plan.num_tokens;
    outcome.expected_bytes = 0;  // nothing to write
    if (root) out << "reusing cache " << outcome.entry.dir << " (its selection covers this request)\n";
    return outcome;
  }
  if (d.contains("union")) {
    sel = parse_key_json(d["union"].get<std::string>(), "extraction union").selection;
    if (root)
      for (const auto& dir : d["superseding"])
        out << "cache " << dir.get<std::string>() << " holds other datasets of the same forward pass: "
            << "extracting the union of both, which supersedes it (`bertology cache gc` removes superseded entries)\n";
  }
  const std::string kjson = key_json(key);
  outcome.key_digest = key_digest(key);
  outcome.entry = for_request(cache_entry_for(p.cache.dir, outcome.key_digest));
  const CacheEntry& entry = outcome.entry;

  // 3. Finished chunks: each rank checks a share (sha256 when verify_on_resume), all agree.
  std::vector<int64_t> finished(plan.chunks.size(), 0);
  for (size_t i = mpi.rank(); i < plan.chunks.size(); i += mpi.size()) {
    auto record = read_chunk_record(entry, static_cast<int64_t>(i));
    if (!record) continue;
    std::string problem;
    if (verify_chunk(entry, *record, p.cache.verify_on_resume, &problem)) {
      finished[i] = 1;
    } else {
      std::cerr << "bertology: warning: " << entry.chunk_file(i) << ": " << problem
                << (dry_run ? "; a real run recomputes it\n" : "; recomputing it\n");
      if (!dry_run) invalidate_chunk(entry, static_cast<int64_t>(i));  // a dry run changes nothing
    }
  }
  mpi.allreduce_max(finished);
  outcome.chunks_done_before = std::accumulate(finished.begin(), finished.end(), int64_t{0});
  std::vector<int64_t> pending;
  for (size_t i = 0; i < finished.size(); ++i)
    if (!finished[i]) pending.push_back(static_cast<int64_t>(i));

  outcome.selection = sel;
  outcome.num_tokens = plan.num_tokens;
  outcome.expected_bytes = expected_bytes(plan, sel, cfg, p.extract.dtype);
  if (dry_run) {
    if (root && !quiet_dry_run) print_dry_run(out, plan, sel, cfg, p.extract.dtype, entry, outcome.chunks_done_before);
    outcome.complete = pending.empty();
    return outcome;
  }

  // 4. The entry's identity files (identical on every rank and every run: written atomically). A
  // manifest that promises chunks about to be recomputed goes first: readers must not trust it.
  if (root && !pending.empty()) fs::remove(entry.manifest_file());
  if (root) {
    fs::create_directories(entry.log_dir());
    if (!fs::exists(entry.key_file())) write_file_atomic(entry.key_file(), kjson);
    write_file_atomic(entry.plan_file(), plan_json(plan, corpus, p, cfg).dump(1) + "\n");
  }
  mpi.barrier();

  // 5. This rank's chunks, balanced by tokens; compute them.
  const std::vector<int64_t> mine = assign_chunks(plan.chunks, pending, mpi.size(), mpi.rank());
  char log_name[32];
  std::snprintf(log_name, sizeof log_name, "/rank_%03d.log", mpi.rank());
  std::ofstream log(entry.log_dir() + log_name, std::ios::app);
  log << now_iso() << " rank " << mpi.rank() << "/" << mpi.size() << " start: " << mine.size() << " of "
      << pending.size() << " pending chunks (" << plan.chunks.size() << " in all)\n" << std::flush;
  if (root)
    out << "extracting " << pending.size() << " of " << plan.chunks.size() << " chunks (" << plan.num_tokens
        << " wordpieces, " << plan.skipped_sentences.size() << " sentences skipped as overlong, "
        << plan.truncated_sequences << " truncated) on " << mpi.size() << " rank(s) into " << entry.dir << "\n"
        << std::flush;

  int64_t stopped = 0;
  if (!mine.empty()) {
    ChunkComputeOptions co;
    co.model_dir = p.model.path;
    co.device = p.model.device;
    co.compute_dtype = p.model.dtype;
    co.threads = p.model.threads;
    co.selection = sel;
    co.stored_dtype = p.extract.dtype;
    co.deflate = p.extract.deflate;
    co.batch_tokens = p.extract.batch_tokens;
    ChunkComputer computer(co);
    const auto t_start = Clock::now();
    int64_t total_pending_tokens = 0;
    for (int64_t c : pending) total_pending_tokens += plan.chunks[c].num_tokens;
    auto log_finished = [&](const std::vector<ChunkRecord>& records) {
      for (const auto& r : records)
        log << now_iso() << " chunk " << r.index << " finished in " << r.seconds << " s, " << r.bytes
            << " bytes, sha256 " << r.sha256 << "\n" << std::flush;
      if (!root || records.empty()) return;
      // Aggregated progress from the finished-chunk records of every rank (shared storage).
      int64_t chunks_done = 0, tokens_done = 0;
      for (int64_t i : pending)
        if (fs::exists(entry.done_file(i))) ++chunks_done, tokens_done += plan.chunks[i].num_tokens;
      const double rate = tokens_done / std::max(since(t_start), 1e-9);
      char line[200];
      std::snprintf(line, sizeof line,
                    "[extract] chunks %lld/%zu, wordpieces %lld/%lld (%.0f%%), %.0f wordpieces/s, ETA %.0f s\n",
                    static_cast<long long>(chunks_done), pending.size(), static_cast<long long>(tokens_done),
                    static_cast<long long>(total_pending_tokens),
                    100.0 * tokens_done / std::max<int64_t>(1, total_pending_tokens), rate,
                    (total_pending_tokens - tokens_done) / std::max(rate, 1e-9));
      out << line << std::flush;
    };
    for (int64_t c : mine) {
      const auto& chunk = plan.chunks[c];
      log << now_iso() << " chunk " << c << " start (" << chunk.num_sequences << " sequences, " << chunk.num_tokens
          << " wordpieces)\n" << std::flush;
      ChunkTimings tm;
      if (!computer.compute(plan, chunk, entry, kjson, [] { return stop_requested(); }, &tm)) {
        log << now_iso() << " chunk " << c << " abandoned: signal " << stop_signal_number() << "\n" << std::flush;
        stopped = 1;
        break;
      }
      ++outcome.chunks_computed;
      log << now_iso() << " chunk " << c << " computed (forward " << tm.forward_seconds << " s, waiting for writer "
          << tm.writer_wait_seconds << " s)\n" << std::flush;
      log_finished(computer.take_finished());
      if (stop_requested()) {
        stopped = 1;
        break;
      }
    }
    log_finished(computer.flush());  // the writer finishes the last chunk(s)
  }

  // 6. Everyone agrees on the outcome; rank 0 writes the manifest when every chunk is finished.
  outcome.stopped = mpi.allreduce_max(stopped) != 0;
  mpi.barrier();
  int64_t missing = 0;
  for (size_t i = 0; i < plan.chunks.size(); ++i)
    if (!fs::exists(entry.done_file(static_cast<int64_t>(i)))) missing = 1;
  outcome.complete = mpi.allreduce_max(missing) == 0;  // every rank reaches the same verdict
  if (root && outcome.complete && !fs::exists(entry.manifest_file())) {
    json chunks = json::array();
    int64_t bytes = 0;
    for (size_t i = 0; i < plan.chunks.size(); ++i) {
      auto r = read_chunk_record(entry, static_cast<int64_t>(i));
      BTL_REQUIRE(r.has_value(), entry.done_file(i), ": unreadable record");
      bytes += r->bytes;
      chunks.push_back({{"index", r->index}, {"file", fs::path(entry.chunk_file(i)).filename().string()},
                        {"bytes", r->bytes}, {"sha256", r->sha256}, {"num_tokens", r->num_tokens},
                        {"num_sequences", r->num_sequences}});
    }
    json manifest = {{"key_digest", outcome.key_digest}, {"bertology_version", BERTOLOGY_VERSION},
                     {"completed", now_iso()}, {"num_chunks", plan.chunks.size()}, {"num_tokens", plan.num_tokens},
                     {"bytes", bytes}, {"chunks", chunks}};
    write_file_atomic(entry.manifest_file(), manifest.dump(1) + "\n");
  }
  log << now_iso() << " rank " << mpi.rank() << " end: computed " << outcome.chunks_computed << " chunks"
      << (outcome.stopped ? " (stopped by signal)" : "") << "\n";
  return outcome;
}

}  // namespace bertology
