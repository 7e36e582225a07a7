// torch.save reader: a restricted pickle machine and view materialisation over the zip reader
// (pipeline/io/zip_reader.h). See torch_bin.h for the file layout.
#include "pipeline/model/torch_bin.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pipeline/io/zip_reader.h"
#include "pipeline/io/little_endian.h"
#include "pipeline/util/error.h"
#include "pipeline/util/input_file.h"

namespace bertology {

namespace {

// ---------------------------------------------------------------------------------------------
// The archive

/// Called by the zip reader when the file is not a zip: names the other formats users pass as a
/// torch checkpoint by mistake, so the message says what to do.
void identify_non_zip(InputFile& file, const std::string& path) {
  const uint64_t size = file.size();
  uint8_t head[4] = {0, 0, 0, 0};
  if (size >= 4) file.read_at(0, head, 4);
  BTL_REQUIRE(!(head[0] == 0x80 && head[1] == 0x02 && head[2] == 0x8a), path,
              ": legacy torch.save format (PyTorch < 1.6, not a zip archive) is not "
              "supported; re-save it with a newer torch or convert it to safetensors");
  // A safetensors file starts with its header length, then '{'.
  if (size >= 9) {
    uint8_t st[9];
    file.read_at(0, st, 9);
    BTL_REQUIRE(!(st[8] == '{' && read_le(st, 8) <= size - 8), path,
                ": not a zip archive but a safetensors file; read it with read_safetensors");
  }
}

ZipExpectation torch_save_archive(const std::string& path) {
  ZipExpectation expect;
  expect.identify_non_zip = [path](InputFile& file) { identify_non_zip(file, path); };
  expect.zip_note = "torch.save >= 1.6 writes zip archives";
  expect.stored_note = "torch.save writes uncompressed records, was the file re-zipped?";
  return expect;
}

// ---------------------------------------------------------------------------------------------
// Pickle values

struct Value;
using ValuePtr = std::shared_ptr<Value>;

/// Everything the restricted unpickler can build. One struct (instead of a class hierarchy)
/// keeps the machine short; the pickles are small (tens of KB even for BERT-large).
struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  int64_t i = 0;   ///< Int, Bool
  double f = 0;    ///< Float
  std::string s;   ///< String; Global: "module.name"; Storage and Tensor: storage key
  std::vector<ValuePtr> items;                          ///< Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  ///< Dict, in insertion order
  DType dtype = DType::F32;                             ///< Storage, Tensor
  int64_t storage_offset = 0;                           ///< Tensor, in elements
  std::vector<int64_t> shape, strides;                  ///< Tensor, strides in elements

  explicit Value(Kind k) : kind(k) {}
};

/// The kind with its article, for messages: "an int", "a tensor".
const char* kind_name(Value::Kind kind) {
  static const char* kNames[] = {"None",   "a bool", "an int", "a float",  "a str",   "a tuple",
                                 "a list", "a dict", "a global", "a storage", "a tensor"};
  return kNames[static_cast<int>(kind)];
}

/// torch storage class names -> element type.
bool storage_dtype(const std::string& global, DType* out) {
  static const std::pair<const char*, DType> kStorages[] = {
      {"torch.DoubleStorage", DType::F64}, {"torch.FloatStorage", DType::F32},
      {"torch.HalfStorage", DType::F16},   {"torch.BFloat16Storage", DType::BF16},
      {"torch.LongStorage", DType::I64},   {"torch.IntStorage", DType::I32},
      {"torch.ShortStorage", DType::I16},  {"torch.CharStorage", DType::I8},
      {"torch.ByteStorage", DType::U8},    {"torch.BoolStorage", DType::Bool}};
  for (const auto& [name, dtype] : kStorages) {
    if (global == name) {
      *out = dtype;
      return true;
    }
  }
  return false;
}

constexpr const char* kOrderedDict = "collections.OrderedDict";
constexpr const char* kRebuildTensor = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";
constexpr const char* kRebuildParameterWithState = "torch._utils._rebuild_parameter_with_state";

// ---------------------------------------------------------------------------------------------
// The restricted unpickler (opcode semantics from CPython's Lib/pickletools.py descriptions)

class Unpickler {
 public:
  /// `bytes` must outlive the unpickler. So must the values run() returns be used only while the
  /// unpickler lives: its destructor breaks the reference cycles a pickle can build (a list
  /// appended to itself through the memo), which shared pointers alone would leak.
  Unpickler(const std::string& path, const std::vector<uint8_t>& bytes)
      : path_(path), p_(bytes.data()), n_(bytes.size()) {}
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;
  ~Unpickler() {
    for (const auto& weak : made_)
      if (const ValuePtr v = weak.lock()) v->items.clear(), v->entries.clear();
  }

  ValuePtr run() {
    for (;;) {
      op_pos_ = pos_;
      const uint8_t op = u8();
      switch (op) {
        case 0x80: {  // PROTO
          const int proto = u8();
          BTL_REQUIRE(proto >= 2 && proto <= 5, path_, ": unsupported pickle protocol ", proto);
          break;
        }
        case 0x95: take(8); break;  // FRAME: only a read-ahead hint, no semantics
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case '}': push(make(Value::Kind::Dict)); break;   // EMPTY_DICT
        case ']': push(make(Value::Kind::List)); break;   // EMPTY_LIST
        case ')': push(make(Value::Kind::Tuple)); break;  // EMPTY_TUPLE
        case 't': push(tuple(pop_mark())); break;         // TUPLE
        case 0x85: push(tuple(pop_n(1))); break;          // TUPLE1
        case 0x86: push(tuple(pop_n(2))); break;          // TUPLE2
        case 0x87: push(tuple(pop_n(3))); break;          // TUPLE3
        case 'J': push(integer(static_cast<int32_t>(read_le(take(4), 4)))); break;  // BININT
        case 'K': push(integer(u8())); break;                                  // BININT1
        case 'M': push(integer(static_cast<int64_t>(read_le(take(2), 2)))); break;  // BININT2
        case 0x8a: push(long1()); break;                                       // LONG1
        case 'X': push(string(read_le(take(4), 4))); break;                         // BINUNICODE
        case 0x8c: push(string(u8())); break;                    // SHORT_BINUNICODE
        case 'G': push(binfloat()); break;                       // BINFLOAT
        case 0x88: push(boolean(true)); break;                   // NEWTRUE
        case 0x89: push(boolean(false)); break;                  // NEWFALSE
        case 'N': push(make(Value::Kind::None)); break;          // NONE
        case 'q': memo_[u8()] = top(); break;                    // BINPUT
        case 'r': memo_[static_cast<uint32_t>(read_le(take(4), 4))] = top(); break;  // LONG_BINPUT
        case 0x94: memo_[static_cast<uint32_t>(memo_.size())] = top(); break;   // MEMOIZE
        case 'h': push(memo_get(u8())); break;                                  // BINGET
        case 'j': push(memo_get(static_cast<uint32_t>(read_le(take(4), 4)))); break; // LONG_BINGET
        case 'c': {                                                             // GLOBAL
          std::string module = line();
          std::string name = line();
          push(global(module, name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL: protocol 4's GLOBAL, with the two strings on the stack
          ValuePtr name = pop(), module = pop();
          expect(*name, Value::Kind::String, "STACK_GLOBAL name");
          expect(*module, Value::Kind::String, "STACK_GLOBAL module");
          push(global(module->s, name->s));
          break;
        }
        case 'Q': push(persistent_load(pop())); break;  // BINPERSID
        case 'R': {                                     // REDUCE
          ValuePtr args = pop(), callable = pop();
          push(reduce(*callable, *args));
          break;
        }
        case 'b': {  // BUILD: only OrderedDict._metadata (per-module versions) reaches here
          pop();
          const Value& target = *top();
          BTL_REQUIRE(target.kind == Value::Kind::Dict || target.kind == Value::Kind::Tensor,
                      path_, ": pickle BUILD on ", kind_name(target.kind), " at byte ", op_pos_,
                      " (only torch.save state dicts are supported)");
          break;
        }
        case 's': {  // SETITEM
          ValuePtr value = pop(), key = pop();
          dict_top()->entries.emplace_back(std::move(key), std::move(value));
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<ValuePtr> kv = pop_mark();
          BTL_REQUIRE(kv.size() % 2 == 0, path_, ": malformed pickle: SETITEMS with an odd ",
                      "number of items at byte ", op_pos_);
          Value* dict = dict_top();
          for (size_t k = 0; k < kv.size(); k += 2) dict->entries.emplace_back(kv[k], kv[k + 1]);
          break;
        }
        case 'a': {  // APPEND
          ValuePtr value = pop();
          list_top()->items.push_back(std::move(value));
          break;
        }
        case 'e': {  // APPENDS
          std::vector<ValuePtr> values = pop_mark();
          Value* list = list_top();
          list->items.insert(list->items.end(), values.begin(), values.end());
          break;
        }
        case '.':  // STOP
          return pop();
        default:
          throw InputError(cat(path_, ": unsupported pickle opcode 0x", hex2(op), " at byte ",
                               op_pos_, " (only torch.save state dicts are supported)"));
      }
    }
  }

 private:
  static std::string hex2(uint8_t b) {
    const char* d = "0123456789abcdef";
    return {d[b >> 4], d[b & 15]};
  }

  [[noreturn]] void malformed(const std::string& what) {
    throw InputError(cat(path_, ": malformed pickle (data.pkl) at byte ", op_pos_, ": ", what));
  }

  const uint8_t* take(size_t k) {
    if (n_ - pos_ < k) malformed("data.pkl ends in the middle of an opcode (truncated)");
    const uint8_t* at = p_ + pos_;
    pos_ += k;
    return at;
  }
  uint8_t u8() { return *take(1); }

  std::string line() {
    const uint8_t* start = p_ + pos_;
    const void* nl = std::memchr(start, '\n', n_ - pos_);
    if (!nl) malformed("data.pkl ends inside a GLOBAL name (truncated)");
    const size_t len = static_cast<const uint8_t*>(nl) - start;
    pos_ += len + 1;
    return std::string(reinterpret_cast<const char*>(start), len);
  }

  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back())) {
      malformed("stack underflow");
    }
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  const ValuePtr& top() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back())) {
      malformed("stack underflow");
    }
    return stack_.back();
  }
  std::vector<ValuePtr> pop_mark() {
    if (marks_.empty()) malformed("no MARK on the stack");
    const size_t start = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> out(std::make_move_iterator(stack_.begin() + start),
                              std::make_move_iterator(stack_.end()));
    stack_.resize(start);
    return out;
  }
  std::vector<ValuePtr> pop_n(size_t k) {
    std::vector<ValuePtr> out(k);
    for (size_t j = k; j-- > 0;) out[j] = pop();
    return out;
  }
  ValuePtr memo_get(uint32_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) malformed(cat("memo index ", index, " was never stored"));
    return it->second;
  }
  Value* dict_top() {
    Value* d = top().get();
    if (d->kind != Value::Kind::Dict) malformed(cat("SETITEM(S) on ", kind_name(d->kind)));
    return d;
  }
  Value* list_top() {
    Value* l = top().get();
    if (l->kind != Value::Kind::List) malformed(cat("APPEND(S) on ", kind_name(l->kind)));
    return l;
  }
  void expect(const Value& v, Value::Kind kind, const char* what) {
    if (v.kind != kind) {
      malformed(cat(what, " is ", kind_name(v.kind), ", expected ", kind_name(kind)));
    }
  }

  ValuePtr tuple(std::vector<ValuePtr> items) {
    ValuePtr t = make(Value::Kind::Tuple);
    t->items = std::move(items);
    return t;
  }
  ValuePtr integer(int64_t v) {
    ValuePtr x = make(Value::Kind::Int);
    x->i = v;
    return x;
  }
  ValuePtr boolean(bool v) {
    ValuePtr x = make(Value::Kind::Bool);
    x->i = v;
    return x;
  }
  ValuePtr long1() {
    // Little-endian two's complement of 0..8 bytes; larger never occurs for sizes and offsets.
    const size_t k = u8();
    if (k > 8) malformed(cat("LONG1 of ", k, " bytes does not fit in 64 bits"));
    const uint8_t* b = take(k);
    uint64_t v = read_le(b, static_cast<int>(k));
    if (k > 0 && k < 8 && (b[k - 1] & 0x80)) v |= ~uint64_t(0) << (8 * k);  // sign-extend
    return integer(static_cast<int64_t>(v));
  }
  ValuePtr string(uint64_t len) {
    const uint8_t* b = take(len);
    ValuePtr s = make(Value::Kind::String);
    s->s.assign(reinterpret_cast<const char*>(b), len);
    return s;
  }
  ValuePtr binfloat() {
    const uint8_t* b = take(8);
    uint64_t bits = 0;
    for (int k = 0; k < 8; ++k) bits = (bits << 8) | b[k];  // big-endian, unlike everything else
    ValuePtr x = make(Value::Kind::Float);
    std::memcpy(&x->f, &bits, 8);
    return x;
  }

  ValuePtr global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    DType dtype;
    BTL_REQUIRE(full == kOrderedDict || full == kRebuildTensor || full == kRebuildParameter ||
                    full == kRebuildParameterWithState || storage_dtype(full, &dtype),
                path_, ": unsupported pickle global '", full, "' at byte ", op_pos_,
                " (only torch.save state dicts of plain tensors are supported)");
    ValuePtr g = make(Value::Kind::Global);
    g->s = full;
    return g;
  }

  ValuePtr persistent_load(const ValuePtr& pid) {
    // ('storage', <storage class>, '<key>', '<location>', <numel>)
    const auto& it = pid->items;
    if (pid->kind != Value::Kind::Tuple || it.size() != 5 || it[0]->kind != Value::Kind::String ||
        it[0]->s != "storage" || it[1]->kind != Value::Kind::Global ||
        it[2]->kind != Value::Kind::String || it[4]->kind != Value::Kind::Int) {
      malformed("persistent id is not ('storage', type, key, location, numel)");
    }
    ValuePtr storage = make(Value::Kind::Storage);
    BTL_REQUIRE(storage_dtype(it[1]->s, &storage->dtype), path_, ": unsupported storage type '",
                it[1]->s, "' at byte ", op_pos_);
    storage->s = it[2]->s;
    return storage;
  }

  std::vector<int64_t> int_tuple(const Value& v, const char* what) {
    expect(v, Value::Kind::Tuple, what);
    std::vector<int64_t> out;
    for (const ValuePtr& x : v.items) {
      expect(*x, Value::Kind::Int, what);
      if (x->i < 0) malformed(cat(what, " has a negative entry ", x->i));
      out.push_back(x->i);
    }
    return out;
  }

  ValuePtr reduce(const Value& callable, const Value& args) {
    expect(callable, Value::Kind::Global, "REDUCE callable");
    expect(args, Value::Kind::Tuple, "REDUCE arguments");
    const auto& a = args.items;
    if (callable.s == kOrderedDict) {
      if (!a.empty()) malformed("OrderedDict called with arguments");
      return make(Value::Kind::Dict);
    }
    if (callable.s == kRebuildTensor) {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.size() < 4) malformed("_rebuild_tensor_v2 with fewer than 4 arguments");
      expect(*a[0], Value::Kind::Storage, "tensor storage");
      expect(*a[1], Value::Kind::Int, "tensor storage offset");
      ValuePtr t = make(Value::Kind::Tensor);
      t->s = a[0]->s;
      t->dtype = a[0]->dtype;
      t->storage_offset = a[1]->i;
      if (t->storage_offset < 0) malformed("negative storage offset");
      t->shape = int_tuple(*a[2], "tensor size");
      t->strides = int_tuple(*a[3], "tensor stride");
      if (t->shape.size() != t->strides.size()) malformed("tensor size and stride differ in rank");
      return t;
    }
    // _rebuild_parameter(data, requires_grad, backward_hooks[, state]): the data is the tensor.
    if (a.empty()) malformed(cat(callable.s, " without arguments"));
    expect(*a[0], Value::Kind::Tensor, "parameter data");
    return a[0];
  }

  std::string path_;
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0, op_pos_ = 0;
  /// Every value made, to break cycles at the end (see the constructor).
  ValuePtr make(Value::Kind kind) {
    ValuePtr v = std::make_shared<Value>(kind);
    made_.push_back(v);
    return v;
  }

  std::vector<std::weak_ptr<Value>> made_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, ValuePtr> memo_;
};

// ---------------------------------------------------------------------------------------------
// Views

std::string dims_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

/// Bytes of storage a view touches: (1 + offset + sum (size_i - 1) * stride_i) * elem, or 0 for
/// an empty view. Returns false on 64-bit overflow.
bool view_extent(const Value& t, uint64_t elem, uint64_t* bytes, uint64_t* numel) {
  *numel = 1;
  uint64_t last = static_cast<uint64_t>(t.storage_offset);
  for (size_t d = 0; d < t.shape.size(); ++d) {
    if (__builtin_mul_overflow(*numel, static_cast<uint64_t>(t.shape[d]), numel)) return false;
    if (t.shape[d] == 0) continue;
    uint64_t reach;
    if (__builtin_mul_overflow(static_cast<uint64_t>(t.shape[d] - 1),
                               static_cast<uint64_t>(t.strides[d]), &reach) ||
        __builtin_add_overflow(last, reach, &last)) {
      return false;
    }
  }
  if (*numel == 0) {
    *bytes = 0;
    return true;
  }
  // Also require numel * elem to fit: the materialised copy has that many bytes.
  uint64_t count, copy_bytes;
  return !__builtin_add_overflow(last, uint64_t(1), &count) &&
         !__builtin_mul_overflow(count, elem, bytes) &&
         !__builtin_mul_overflow(*numel, elem, &copy_bytes);
}

bool is_row_major(const Value& t) {
  int64_t expected = 1;
  for (size_t d = t.shape.size(); d-- > 0;) {
    if (t.shape[d] != 1 && t.strides[d] != expected) return false;  // size-1 dims: any stride
    expected *= t.shape[d];
  }
  return true;
}

/// Copies the (validated) view `t` of `storage` into `out`, row-major.
void gather(const Value& t, const uint8_t* storage, size_t elem, uint8_t* out, uint64_t numel) {
  if (numel == 0) return;
  const uint8_t* base = storage + t.storage_offset * elem;
  if (is_row_major(t)) {
    std::memcpy(out, base, numel * elem);
    return;
  }
  // Odometer over all but the innermost dimension; the innermost run is one memcpy when its
  // stride is 1 (e.g. a column slice), element by element otherwise (e.g. a transpose).
  const size_t rank = t.shape.size();
  const int64_t inner = t.shape[rank - 1], inner_stride = t.strides[rank - 1];
  std::vector<int64_t> index(rank - 1, 0);
  int64_t src = 0;  // element offset of the current row
  for (uint64_t done = 0; done < numel; done += inner) {
    if (inner_stride == 1) {
      std::memcpy(out, base + src * elem, inner * elem);
      out += inner * elem;
    } else {
      for (int64_t k = 0; k < inner; ++k, out += elem) {
        std::memcpy(out, base + (src + k * inner_stride) * elem, elem);
      }
    }
    for (size_t d = rank - 1; d-- > 0;) {
      src += t.strides[d];
      if (++index[d] < t.shape[d]) break;
      src -= t.strides[d] * t.shape[d];
      index[d] = 0;
    }
  }
}

/// Finds the one "<folder>/data.pkl" record and returns "<folder>/".
std::string find_folder(const ZipArchive& zip, const std::string& path) {
  for (const auto& [name, entry] : zip.entries()) {
    const size_t slash = name.find('/');
    if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      return name.substr(0, slash + 1);
    }
  }
  throw InputError(cat(path, ": missing data.pkl: the zip archive has no '<folder>/data.pkl' "
                             "record, so it is not a torch.save file"));
}

}  // namespace

StateDict read_torch_bin(const std::string& path) {
  InputFile file(path, "torch checkpoint");
  ZipArchive zip(file, path, torch_save_archive(path));
  const std::string folder = find_folder(zip, path);

  if (const ZipEntry* order = zip.find(folder + "byteorder")) {
    const std::vector<uint8_t> text = zip.read(folder + "byteorder", *order);
    BTL_REQUIRE(std::string(text.begin(), text.end()) == "little", path,
                ": big-endian torch.save archive (byteorder '",
                std::string(text.begin(), text.end()), "') is not supported");
  }

  const std::string pkl_name = folder + "data.pkl";
  const std::vector<uint8_t> pickle = zip.read(pkl_name, *zip.find(pkl_name));
  Unpickler unpickler(path, pickle);  // owns the values until the end of this function
  const ValuePtr root = unpickler.run();
  BTL_REQUIRE(root->kind == Value::Kind::Dict, path, ": the pickled object is ",
              kind_name(root->kind), ", not a state dict (a dict of tensors)");

  // Group tensors by storage so each storage record is read once, in file order.
  struct Use {
    std::string name;
    const Value* tensor;
  };
  std::map<std::string, std::vector<Use>> by_storage;
  for (const auto& [key, value] : root->entries) {
    BTL_REQUIRE(key->kind == Value::Kind::String, path, ": state dict key is ",
                kind_name(key->kind), ", expected a string");
    BTL_REQUIRE(value->kind == Value::Kind::Tensor, path, ": state dict entry '", key->s,
                "' is ", kind_name(value->kind), ", not a tensor");
    by_storage[value->s].push_back({key->s, value.get()});
  }
  struct Record {
    std::string key, name;
    const ZipEntry* entry;
  };
  std::vector<Record> records;
  for (const auto& [key, uses] : by_storage) {
    const std::string name = folder + "data/" + key;
    const ZipEntry* entry = zip.find(name);
    BTL_REQUIRE(entry != nullptr, path, ": missing storage record '", name, "' used by tensor '",
                uses.front().name, "'");
    records.push_back({key, name, entry});
  }
  std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
    return a.entry->header_offset < b.entry->header_offset;
  });

  StateDict out;
  for (const Record& r : records) {
    // Validate all views of this storage before reading it: a bad header fails fast.
    const std::vector<Use>& uses = by_storage[r.key];
    std::vector<uint64_t> numels;
    for (const Use& u : uses) {
      const Value& t = *u.tensor;
      const size_t elem = dtype_size(t.dtype);
      uint64_t need = 0, numel = 0;
      BTL_REQUIRE(view_extent(t, elem, &need, &numel), path, ": tensor '", u.name, "' shape ",
                  dims_str(t.shape), " overflows 64 bits");
      BTL_REQUIRE(need <= r.entry->size, path, ": storage record '", r.name, "' has ",
                  r.entry->size, " bytes but tensor '", u.name, "' (", dtype_name(t.dtype),
                  ", shape ", dims_str(t.shape), ", strides ", dims_str(t.strides),
                  ", storage offset ", t.storage_offset, ") needs ", need);
      numels.push_back(numel);
    }
    std::vector<uint8_t> storage = zip.read(r.name, *r.entry);
    for (size_t k = 0; k < uses.size(); ++k) {
      const Value& t = *uses[k].tensor;
      RawTensor& dst = out[uses[k].name];
      dst.dtype = t.dtype;
      dst.shape = t.shape;
      const size_t elem = dtype_size(t.dtype);
      const uint64_t bytes = numels[k] * elem;
      // The common case, a whole storage as one contiguous tensor, moves instead of copying.
      if (k + 1 == uses.size() && t.storage_offset == 0 && bytes == storage.size() &&
          is_row_major(t)) {
        dst.data = std::move(storage);
      } else {
        dst.data.resize(bytes);
        gather(t, storage.data(), elem, dst.data.data(), numels[k]);
      }
    }
  }
  return out;
}

}  // namespace bertology
