#include "pipeline/cache/chunk_compute.h"

#include <fcntl.h>
#include <unistd.h>

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "pipeline/cache/device_to_host.h"
#include "pipeline/cache/chunk_format.h"
#include "pipeline/io/hdf5_file.h"
#include "pipeline/model/checkpoint.h"
#include "pipeline/model/pad_batch.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/sha256.h"

namespace bertology {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// One background thread that runs jobs in order; at most `capacity` wait. HDF5 is only ever
/// called from this thread (Debian's HDF5 is not thread-safe), so compute never waits for disk
/// unless the queue is full.
class WriterThread {
 public:
  explicit WriterThread(size_t capacity) : capacity_(capacity), thread_([this] { loop(); }) {}
  ~WriterThread() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  /// Queues a job; blocks while the queue is full. Returns seconds spent blocked.
  double push(std::function<void()> job) {
    const auto t = Clock::now();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return jobs_.size() < capacity_ || error_; });
    rethrow_locked();
    jobs_.push_back(std::move(job));
    cv_.notify_all();
    return since(t);
  }

  /// Waits until every queued job ran; rethrows the first job error.
  void drain() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return (jobs_.empty() && !busy_) || error_; });
    rethrow_locked();
  }

  /// Drops queued jobs and forgets an error (after a failed or abandoned chunk).
  void reset() {
    std::unique_lock<std::mutex> lock(mu_);
    jobs_.clear();
    cv_.wait(lock, [&] { return !busy_; });
    error_ = nullptr;
  }

 private:
  void rethrow_locked() {
    if (error_) std::rethrow_exception(error_);
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return !jobs_.empty() || closing_; });
      if (jobs_.empty() && closing_) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      busy_ = true;
      lock.unlock();
      std::exception_ptr err;
      try {
        job();
      } catch (...) {
        err = std::current_exception();
      }
      lock.lock();
      busy_ = false;
      if (err && !error_) {
        error_ = err;
        jobs_.clear();  // later jobs would write into a broken file
      }
      cv_.notify_all();
    }
  }

  size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::exception_ptr error_;
  bool busy_ = false, closing_ = false;
  std::thread thread_;
};

std::string json_list(const std::vector<int64_t>& v) { return nlohmann::json(v).dump(); }

}  // namespace

// ---------------------------------------------------------------------------------------------
/// fsync of a closed file (HDF5 does not sync): InternalError when the data cannot be made durable.
void sync_to_disk(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  const bool ok = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) throw InternalError(cat(path, ": cannot sync to disk (", std::strerror(errno), ")"));
}

struct ChunkComputer::Impl {
  ChunkComputeOptions options;
  LoadedBert bert;
  H5Kind kind = H5Kind::F16;
  at::ScalarType stored = at::kHalf;
  std::vector<int> attention_layers;           // as ints for ForwardOptions
  at::Tensor heads;                            // [H_sel] int64 index
  bool all_heads = true;
  // Fault-injection aid for the kill/resume tests: BERTOLOGY_DEBUG_BATCH_DELAY_MS slows every batch
  // so that a test can reliably signal or kill a rank mid-chunk. Unset in normal use.
  int debug_batch_delay_ms = 0;
  std::mutex finished_mu;
  std::vector<ChunkRecord> finished;  // records written by the writer thread, collected by flush()
  // Declared last: destroyed (its thread joined) before the members its jobs touch.
  WriterThread writer;

  explicit Impl(const ChunkComputeOptions& o) : options(o), writer(o.queue_batches) {
    if (const char* d = std::getenv("BERTOLOGY_DEBUG_BATCH_DELAY_MS")) debug_batch_delay_ms = std::atoi(d);
    set_torch_threads(o.threads);
    LoadOptions lo;
    lo.device = o.device;
    lo.dtype = o.compute_dtype;
    lo.compute_digest = false;  // the key already holds it
    bert = load_bert(o.model_dir, lo);
    kind = o.stored_dtype == "float32" ? H5Kind::F32 : H5Kind::F16;
    stored = kind == H5Kind::F32 ? at::kFloat : at::kHalf;
    if (o.selection.attention)
      for (int64_t l : o.selection.attention_layers) attention_layers.push_back(static_cast<int>(l));
    heads = at::tensor(o.selection.attention_heads, at::kLong);
    all_heads = static_cast<int>(o.selection.attention_heads.size()) == bert.config.num_attention_heads;
  }

  /// HDF5 chunking of a [rows, row_elements] tensor dataset (row_elements = 1: flat attention).
  /// About 1 MiB per HDF5 chunk, whole rows, and the rows split evenly so that the last chunk is not
  /// mostly empty (HDF5 allocates whole chunks).
  H5DatasetOptions tensor_options(hsize_t rows, hsize_t row_elements) const {
    H5DatasetOptions d;
    const hsize_t target_rows = std::max<hsize_t>(1, (1u << 20) / std::max<hsize_t>(1, row_elements * 2));
    const hsize_t pieces = std::max<hsize_t>(1, (rows + target_rows - 1) / target_rows);
    const hsize_t chunk_rows = std::max<hsize_t>(1, (rows + pieces - 1) / pieces);
    d.chunk = row_elements == 1 ? std::vector<hsize_t>{chunk_rows} : std::vector<hsize_t>{chunk_rows, row_elements};
    d.deflate_level = options.deflate;
    d.checksum = true;
    return d;
  }
};

ChunkComputer::ChunkComputer(const ChunkComputeOptions& options) : impl_(std::make_unique<Impl>(options)) {}
ChunkComputer::~ChunkComputer() = default;
int ChunkComputer::num_layers() const { return impl_->bert.config.num_hidden_layers; }
int ChunkComputer::hidden_size() const { return impl_->bert.config.hidden_size; }
int ChunkComputer::num_heads() const { return impl_->bert.config.num_attention_heads; }

bool ChunkComputer::compute(const ExtractionPlan& plan, const PlannedChunk& chunk, const CacheEntry& entry,
                            const std::string& key_json, const std::function<bool()>& stop, ChunkTimings* timings) {
  Impl& m = *impl_;
  const auto t_chunk = Clock::now();
  ChunkTimings local;
  ChunkTimings& tm = timings ? *timings : local;
  const auto& sel = m.options.selection;
  const int d = m.bert.config.hidden_size;
  const int64_t S = chunk.num_sequences;
  const int64_t H_sel = static_cast<int64_t>(sel.attention_heads.size());

  // Sequences are stored in batch order (batches sort by length), so every batch fills the next
  // rows of every dataset: sequential writes, no read-modify-write of HDF5 chunks, bounded memory.
  // /sequences/sentence_a maps them back to corpus order.
  const auto batches = make_batches(plan, chunk, m.options.batch_tokens);
  std::vector<int64_t> order;
  for (const auto& b : batches) order.insert(order.end(), b.begin(), b.end());
  std::vector<int64_t> tok_off(S + 1, 0), word_off(S + 1, 0), att_off(S + 1, 0);
  std::vector<int64_t> sent_a(S), sent_b(S);
  std::vector<int32_t> num_words(S), truncated(S), input_ids, word_ids, segment_ids;
  for (int64_t s = 0; s < S; ++s) {
    const PlannedSequence& q = plan.sequences[order[s]];
    tok_off[s + 1] = tok_off[s] + q.length();
    word_off[s + 1] = word_off[s] + q.num_words;
    att_off[s + 1] = att_off[s] + (sel.attention ? H_sel * q.length() * q.length() : 0);
    sent_a[s] = q.sentence_a;
    sent_b[s] = q.sentence_b;
    num_words[s] = q.num_words;
    truncated[s] = q.truncated;
    input_ids.insert(input_ids.end(), q.input_ids.begin(), q.input_ids.end());
    word_ids.insert(word_ids.end(), q.word_ids.begin(), q.word_ids.end());
    segment_ids.insert(segment_ids.end(), q.segment_ids.begin(), q.segment_ids.end());
  }
  const hsize_t N = tok_off[S], W = word_off[S], E = att_off[S];

  const std::string final_path = entry.chunk_file(chunk.index);
  const std::string tmp_path = unique_temp_name(final_path);
  auto file = std::make_shared<H5File>();

  try {
    // Create the file and every dataset with its final size; batches then fill rows in order.
    m.writer.push([=, &m, &sel] {
      *file = H5File::create(tmp_path);
      file->write("/tokens/input_ids", H5Kind::I32, {N}, input_ids.data());
      file->write("/tokens/word_ids", H5Kind::I32, {N}, word_ids.data());
      file->write("/tokens/segment_ids", H5Kind::I32, {N}, segment_ids.data());
      file->write("/sequences/offsets", H5Kind::I64, {hsize_t(S + 1)}, tok_off.data());
      file->write("/sequences/sentence_a", H5Kind::I64, {hsize_t(S)}, sent_a.data());
      file->write("/sequences/sentence_b", H5Kind::I64, {hsize_t(S)}, sent_b.data());
      file->write("/sequences/num_words", H5Kind::I32, {hsize_t(S)}, num_words.data());
      file->write("/sequences/word_offsets", H5Kind::I64, {hsize_t(S + 1)}, word_off.data());
      file->write("/sequences/truncated", H5Kind::I32, {hsize_t(S)}, truncated.data());
      for (int64_t l : sel.layers) file->create(hidden_dataset(l), m.kind, {N, hsize_t(d)}, m.tensor_options(N, d));
      if (sel.word_pooling != "none")
        for (int64_t l : sel.layers)
          file->create(hidden_words_dataset(l), m.kind, {W, hsize_t(d)}, m.tensor_options(W, d));
      if (sel.attention) {
        file->write("/attention/offsets", H5Kind::I64, {hsize_t(S + 1)}, att_off.data());
        for (int64_t l : sel.attention_layers) file->create(attention_dataset(l), m.kind, {E}, m.tensor_options(E, 1));
      }
      file->set_attribute("/", "format_version", static_cast<int64_t>(kCacheFormatVersion));
      file->set_attribute("/", "key_json", key_json);
      file->set_attribute("/", "chunk_index", chunk.index);
      file->set_attribute("/", "num_sequences", S);
      file->set_attribute("/", "num_tokens", static_cast<int64_t>(N));
      file->set_attribute("/", "layers", json_list(sel.layers));
      file->set_attribute("/", "attention_layers", json_list(sel.attention ? sel.attention_layers : std::vector<int64_t>{}));
      file->set_attribute("/", "attention_heads", json_list(sel.attention ? sel.attention_heads : std::vector<int64_t>{}));
      file->set_attribute("/", "word_pooling", sel.word_pooling);
      file->set_attribute("/", "dtype", m.options.stored_dtype);
      file->set_attribute("/", "hidden_size", static_cast<int64_t>(d));
      file->set_attribute("/", "sequence_order", std::string("batch order (by length); corpus index in /sequences/sentence_a"));
      file->set_attribute("/", "layer_convention", std::string(kCacheLayerConvention));
    });

    torch::NoGradGuard no_grad;
    const auto device = m.bert.model->embeddings->word_embeddings->weight.device();
    ForwardOptions fwd;
    fwd.attention_layers = m.attention_layers;
    DeviceToHost d2h(device);  // GPU: copies on a side stream into pinned memory; CPU: nothing to do
    const bool on_gpu = device.is_cuda();
    const at::Tensor heads = m.all_heads ? at::Tensor() : m.heads.to(device);  // once per chunk
    int64_t stored = 0;  // sequences already handed to the writer
    for (const auto& batch : batches) {
      if (stop()) {
        // Whatever is queued for this chunk still runs; then its file goes. Earlier chunks finish.
        m.writer.push([file, tmp_path] {
          *file = H5File();
          std::error_code ec;
          fs::remove(tmp_path, ec);
        });
        return false;
      }
      const auto t_fwd = Clock::now();
      const int64_t B = static_cast<int64_t>(batch.size());
      std::vector<std::vector<int32_t>> batch_ids, batch_types;
      batch_ids.reserve(batch.size());
      batch_types.reserve(batch.size());
      for (int64_t s : batch) {
        const PlannedSequence& q = plan.sequences[s];
        batch_ids.push_back(q.input_ids);
        batch_types.emplace_back(q.segment_ids.begin(), q.segment_ids.end());
      }
      const PaddedBatch padded = pad_batch(batch_ids, m.bert.config.pad_token_id, batch_types);
      // GPU: pinned inputs copied without blocking, so the host can queue this batch behind the last.
      auto to_device = [&](const at::Tensor& t) { return on_gpu ? t.pin_memory().to(device, /*non_blocking=*/true) : t; };
      auto out = m.bert.model->forward(to_device(padded.input_ids), to_device(padded.attention_mask),
                                       to_device(padded.token_type_ids), fwd);

      // Pack each dataset's rows of this batch (padding trimmed) into one host block in the stored dtype.
      struct Block {
        std::string dataset;
        hsize_t first_row, rows;
        at::Tensor data;                     ///< host memory (valid after the batch's fence)
        std::function<at::Tensor()> finish;  ///< when set, makes `data` in the writer, after the fence
      };
      auto blocks = std::make_shared<std::vector<Block>>();
      const int64_t s0 = stored;
      // Word pooling for the whole batch at once: packed token -> batch-level word index.
      at::Tensor word_index, keep, word_count, first_piece;
      int64_t batch_words = 0;
      if (sel.word_pooling != "none") {
        std::vector<int64_t> index, first;
        std::vector<uint8_t> keep_v;
        int64_t packed_row = 0;
        for (int64_t b = 0; b < B; ++b) {
          const auto& q = plan.sequences[batch[b]];
          std::vector<int64_t> firsts(q.num_words, -1);
          for (int64_t t = 0; t < q.length(); ++t, ++packed_row) {
            const int32_t w = q.word_ids[t];
            keep_v.push_back(w >= 0);
            if (w < 0) continue;
            index.push_back(batch_words + w);
            if (firsts[w] < 0) firsts[w] = packed_row;
          }
          first.insert(first.end(), firsts.begin(), firsts.end());
          batch_words += q.num_words;
        }
        keep = at::tensor(std::vector<int64_t>(keep_v.begin(), keep_v.end()), at::kLong).to(at::kBool);
        word_index = at::tensor(index, at::kLong);
        word_count = at::bincount(word_index, {}, batch_words).clamp_min(1).to(at::kFloat).unsqueeze(1);
        // Words without pieces point at an extra zero row (index = number of packed rows).
        for (auto& f : first) f = f < 0 ? packed_row : f;
        first_piece = at::tensor(first, at::kLong);
      }
      for (int64_t l : sel.layers) {
        auto h = out.hidden_states[l];  // [B, T, d]
        std::vector<at::Tensor> rows;
        for (int64_t b = 0; b < B; ++b) rows.push_back(h[b].narrow(0, 0, plan.sequences[batch[b]].length()));
        // On the model's device: pack, widen to fp32, narrow to the stored dtype (the same rounding as
        // on the host), then one copy of the stored bytes leaves the device.
        auto packed32 = at::cat(rows, 0).to(at::kFloat);  // [tokens of batch, d]
        auto packed = d2h.start(packed32.to(m.stored));
        blocks->push_back({hidden_dataset(l), hsize_t(tok_off[s0]), hsize_t(packed.size(0)), packed, {}});
        if (sel.word_pooling == "none" || batch_words == 0) continue;
        // Word pooling on the host in fp32, always: the same bytes on every device (a GPU's index_add_
        // sums with atomics, in no fixed order). On a GPU the fp32 rows travel and the writer pools.
        auto pool = [=, mean = sel.word_pooling == "mean", stored = m.stored](const at::Tensor& host32) {
          at::Tensor words;
          if (mean) {  // mean of each word's pieces; a word without pieces is 0
            words = at::zeros({batch_words, d}, at::kFloat).index_add_(0, word_index, host32.index({keep})) / word_count;
          } else {     // first piece
            words = at::cat({host32, at::zeros({1, d}, at::kFloat)}, 0).index_select(0, first_piece);
          }
          return words.to(stored).contiguous();
        };
        const hsize_t n_words = static_cast<hsize_t>(batch_words);
        if (on_gpu) {
          auto host32 = d2h.start(packed32);
          blocks->push_back({hidden_words_dataset(l), hsize_t(word_off[s0]), n_words, at::Tensor(),
                             [pool, host32] { return pool(host32); }});
        } else {
          blocks->push_back({hidden_words_dataset(l), hsize_t(word_off[s0]), n_words, pool(packed32), {}});
        }
      }
      if (sel.attention) {
        for (int64_t l : sel.attention_layers) {
          auto a = out.attentions[l];  // [B, H, T, T]
          if (!m.all_heads) a = a.index_select(1, heads);
          std::vector<at::Tensor> flat;
          for (int64_t b = 0; b < B; ++b) {
            const int64_t n = plan.sequences[batch[b]].length();
            flat.push_back(a[b].narrow(1, 0, n).narrow(2, 0, n).reshape({-1}));  // [H_sel * n * n]
          }
          auto packed = d2h.start(at::cat(flat, 0).to(m.stored));
          blocks->push_back({attention_dataset(l), hsize_t(att_off[s0]), hsize_t(packed.size(0)), packed, {}});
        }
      }
      stored += B;
      tm.forward_seconds += since(t_fwd);
      if (m.debug_batch_delay_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(m.debug_batch_delay_ms));
      tm.writer_wait_seconds += m.writer.push([file, blocks, kind = m.kind, copied = d2h.fence()] {
        copied();  // GPU: the side stream's copies of this batch are done
        for (auto& blk : *blocks) {
          if (blk.finish) blk.data = blk.finish();  // GPU word pooling, on the host
          file->write_rows(blk.dataset, kind, blk.first_row, blk.rows, blk.data.data_ptr());
        }
      });
    }

    // Close, hash, rename, record, in the writer: only then does the chunk exist.
    const int64_t index = chunk.index, num_tokens = static_cast<int64_t>(N);
    m.writer.push([&m, file, tmp_path, final_path, entry, index, S, num_tokens, t_chunk] {
      ChunkRecord record;
      try {
        file->close();  // flush errors (disk full) surface here
        sync_to_disk(tmp_path);  // the record below must never describe bytes still in the page cache
        record.index = index;
        record.num_sequences = S;
        record.num_tokens = num_tokens;
        record.bytes = fs::file_size(tmp_path);
        record.sha256 = sha256_file(tmp_path);
        std::error_code ec;
        fs::rename(tmp_path, final_path, ec);
        if (ec) throw InternalError(cat(final_path, ": cannot rename from ", tmp_path, ": ", ec.message()));
      } catch (...) {
        *file = H5File();
        std::error_code ec;
        fs::remove(tmp_path, ec);
        throw;
      }
      record.seconds = since(t_chunk);
      write_chunk_record(entry, record);  // the record makes the chunk count; if this fails, it does not
      std::lock_guard<std::mutex> lock(m.finished_mu);
      m.finished.push_back(record);
    });
    return true;
  } catch (...) {
    // Let the writer finish what is queued (earlier chunks' finishing jobs come first, so they
    // still count), then drop anything left of this chunk.
    try {
      m.writer.drain();
    } catch (...) {
    }
    m.writer.reset();
    *file = H5File();
    std::error_code ec;
    fs::remove(tmp_path, ec);
    throw;
  }
}

std::vector<ChunkRecord> ChunkComputer::flush() {
  impl_->writer.drain();
  return take_finished();
}

std::vector<ChunkRecord> ChunkComputer::take_finished() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.finished_mu);
  std::vector<ChunkRecord> out;
  out.swap(m.finished);
  return out;
}

}  // namespace bertology
