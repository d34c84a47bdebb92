#pragma once

// Internal value model of the JSONata evaluator. JSONata needs more than JSON:
// `undefined`, sequences (arrays with flags), functions and tuple streams. Values
// are 16 bytes (numbers inline, everything else behind an intrusive refcount) so
// that a ten-million item range fits comfortably in memory.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "stepflow/asl/value.h"

namespace stepflow::asl::jsonata::internal {

struct Heap {
  mutable std::atomic<int> refs{0};
  virtual ~Heap() = default;
};

enum class Kind : uint8_t { kUndef, kNull, kBool, kNum, kStr, kArr, kObj, kFunc };

// Deletes a heap value without recursing through nested values, so that
// dropping a deeply nested array cannot overflow the native stack.
void DestroyHeap(Heap* h);

struct StrData;
struct ArrData;
struct ObjData;
struct FuncData;

class Val {
 public:
  Val() : kind_(Kind::kUndef) { u_.p = nullptr; }
  ~Val() { Release(); }
  Val(const Val& o) : kind_(o.kind_), u_(o.u_) { Retain(); }
  Val(Val&& o) noexcept : kind_(o.kind_), u_(o.u_) {
    o.kind_ = Kind::kUndef;
    o.u_.p = nullptr;
  }
  Val& operator=(const Val& o) {
    if (this != &o) {
      o.Retain();
      Release();
      kind_ = o.kind_;
      u_ = o.u_;
    }
    return *this;
  }
  Val& operator=(Val&& o) noexcept {
    if (this != &o) {
      Release();
      kind_ = o.kind_;
      u_ = o.u_;
      o.kind_ = Kind::kUndef;
      o.u_.p = nullptr;
    }
    return *this;
  }

  static Val Null() {
    Val v;
    v.kind_ = Kind::kNull;
    return v;
  }
  static Val Bool(bool b) {
    Val v;
    v.kind_ = Kind::kBool;
    v.u_.b = b;
    return v;
  }
  static Val Num(double d) {
    Val v;
    v.kind_ = Kind::kNum;
    v.u_.d = d;
    return v;
  }
  static Val Str(std::string s);
  static Val StrJson(const asl::Value& v);  // shares the text of a JSON string
  static Val Arr(ArrData* a);
  static Val Obj(ObjData* o);
  static Val Func(FuncData* f);

  Kind kind() const { return kind_; }
  bool undef() const { return kind_ == Kind::kUndef; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_num() const { return kind_ == Kind::kNum; }
  bool is_str() const { return kind_ == Kind::kStr; }
  bool is_arr() const { return kind_ == Kind::kArr; }
  bool is_obj() const { return kind_ == Kind::kObj; }
  bool is_func() const { return kind_ == Kind::kFunc; }

  bool b() const { return u_.b; }
  double num() const { return u_.d; }
  const std::string& str() const;
  ArrData* arr() const { return reinterpret_cast<ArrData*>(u_.p); }
  ObjData* obj() const { return reinterpret_cast<ObjData*>(u_.p); }
  FuncData* func() const { return reinterpret_cast<FuncData*>(u_.p); }
  const Heap* heap() const { return u_.p; }

 private:
  void Retain() const {
    if (kind_ >= Kind::kStr && u_.p) u_.p->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void Release() {
    if (kind_ >= Kind::kStr && u_.p) {
      if (u_.p->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) DestroyHeap(u_.p);
    }
  }
  Kind kind_;
  union {
    bool b;
    double d;
    Heap* p;
  } u_;
};

struct StrData : Heap {
  std::string s;
  asl::Value src;                 // set when the text is shared with a JSON string
  const std::string* p = &s;      // s, or src's string
};

struct ArrData : Heap {
  std::vector<Val> items;
  bool sequence = false;
  bool keep_singleton = false;
  bool outer_wrapper = false;
  bool cons = false;
  bool tuple_stream = false;
};

struct ObjData : Heap {
  using Members = std::vector<std::pair<std::string, Val>>;
  // All members; converts a JSON-backed object first.
  Members& members() {
    if (lazy) Materialize();
    return members_;
  }
  const Members& members() const {
    if (lazy) Materialize();
    return members_;
  }
  mutable Members members_;
  mutable std::unordered_map<std::string, size_t> index;  // built when large

  // A JSON-backed object (see FromJson) converts members only when a lookup
  // touches them, and all of them when members() is used.
  mutable bool lazy = false;
  asl::Value src;
  mutable std::vector<Val> lazy_vals;  // per member of src, undefined until converted

  void Materialize() const;
  const Val* Find(std::string_view key) const;
  void Set(const std::string& key, Val v);
  void Erase(std::string_view key);
  void Reindex();
};

inline const std::string& Val::str() const { return *static_cast<StrData*>(u_.p)->p; }

inline Val Val::Str(std::string s) {
  auto* d = new StrData;
  d->s = std::move(s);
  d->refs = 1;
  Val v;
  v.kind_ = Kind::kStr;
  v.u_.p = d;
  return v;
}
inline Val Val::StrJson(const asl::Value& s) {
  auto* d = new StrData;
  d->src = s;
  d->p = &d->src.AsString();
  d->refs = 1;
  Val v;
  v.kind_ = Kind::kStr;
  v.u_.p = d;
  return v;
}
inline Val Val::Arr(ArrData* a) {
  a->refs.fetch_add(1, std::memory_order_relaxed);
  Val v;
  v.kind_ = Kind::kArr;
  v.u_.p = a;
  return v;
}
inline Val Val::Obj(ObjData* o) {
  o->refs.fetch_add(1, std::memory_order_relaxed);
  Val v;
  v.kind_ = Kind::kObj;
  v.u_.p = o;
  return v;
}

// Convenience constructors.
inline Val NewSeq() {
  auto* a = new ArrData;
  a->sequence = true;
  return Val::Arr(a);
}
inline Val NewArr() { return Val::Arr(new ArrData); }
inline Val NewObj() { return Val::Obj(new ObjData); }

// Converts a JSON value. Objects convert lazily; strings share the JSON text.
Val FromJson(const asl::Value& v);

}  // namespace stepflow::asl::jsonata::internal
