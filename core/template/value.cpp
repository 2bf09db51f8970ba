// Value: construction, accessors and copy-on-write builders of the template engine's JSON-like
// values (render-time kinds are created by the interpreter, see interp.h).
#include <algorithm>

#include "core/template/chat_template.h"
#include "core/template/interp.h"

namespace chord::tmpl {

namespace {
const std::string kEmptyString;
const Array kEmptyArray;
const Object kEmptyObject;
const Value kNullValue;

std::uint16_t child_depth(const Value& v) {
  int d = v.depth() + 1;
  return static_cast<std::uint16_t>(std::min(d, 65535));
}
}  // namespace

Value::Value(std::string s) : kind_(Kind::string) { ptr_ = std::make_shared<const std::string>(std::move(s)); }

Value Value::array(Array items) {
  Value v;
  v.kind_ = Kind::array;
  std::uint16_t d = 1;
  for (const auto& e : items) d = std::max(d, child_depth(e));
  v.depth_ = d;
  v.ptr_ = std::make_shared<const Array>(std::move(items));
  return v;
}

namespace {
struct SeqData {  // a range's items and bounds, or a failing generator; ptr_ points at `items`, u_.p at the whole
  Array items;
  std::int64_t start = 0, stop = 0, step = 1;
  std::string error;
};
}  // namespace

Value Value::range(std::int64_t start, std::int64_t stop, std::int64_t step, Array items) {
  Value v;
  v.kind_ = Kind::array;
  v.depth_ = 1;  // integers only
  auto d = std::make_shared<SeqData>(SeqData{std::move(items), start, stop, step, {}});
  v.u_.p = d.get();
  v.ptr_ = std::shared_ptr<const void>(d, &d->items);
  v.seq_ = Seq::range;
  return v;
}

Value Value::failing_generator(std::string error) {
  Value v;
  v.kind_ = Kind::array;
  v.depth_ = 1;
  auto d = std::make_shared<SeqData>();
  d->error = std::move(error);
  v.u_.p = d.get();
  v.ptr_ = std::shared_ptr<const void>(d, &d->items);
  v.seq_ = Seq::generator;
  return v;
}

const std::string* Value::deferred_error() const {
  if (kind_ != Kind::array || seq_ != Seq::generator || !u_.p) return nullptr;
  return &static_cast<const SeqData*>(u_.p)->error;
}

bool Value::range_bounds(std::int64_t& start, std::int64_t& stop, std::int64_t& step) const {
  if (kind_ != Kind::array || seq_ != Seq::range || !u_.p) return false;
  const auto* d = static_cast<const SeqData*>(u_.p);
  start = d->start;
  stop = d->stop;
  step = d->step;
  return true;
}

Value Value::with_seq(Seq s) const {
  if (kind_ != Kind::array || s == seq_) return *this;
  Value v = *this;
  v.seq_ = s == Seq::range ? Seq::list : s;  // bounds come only from Value::range
  v.u_.p = nullptr;                          // and a deferred error only from failing_generator
  return v;
}

Value Value::object() { return object(Object{}); }

Value Value::object(Object obj) {
  Value v;
  v.kind_ = Kind::object;
  std::uint16_t d = 1;
  for (const auto& e : obj.entries) d = std::max(d, child_depth(e.second));
  v.depth_ = d;
  v.ptr_ = std::make_shared<const Object>(std::move(obj));
  return v;
}

Value Value::undefined(std::string hint) {
  Value v;
  v.kind_ = Kind::undefined;
  if (!hint.empty()) v.ptr_ = std::make_shared<const std::string>(std::move(hint));
  return v;
}

Value Value::markup(std::string s) {
  Value v(std::move(s));
  v.safe_ = true;
  return v;
}

double Value::as_double() const noexcept {
  switch (kind_) {
    case Kind::integer:
      return static_cast<double>(u_.i);
    case Kind::real:
      return u_.d;
    case Kind::boolean:
      return u_.b ? 1.0 : 0.0;
    default:
      return 0.0;
  }
}

const std::string& Value::as_string() const {
  if ((kind_ == Kind::string || kind_ == Kind::undefined) && ptr_) return *static_cast<const std::string*>(ptr_.get());
  return kEmptyString;
}

const Array& Value::as_array() const {
  if (kind_ == Kind::array) return *static_cast<const Array*>(ptr_.get());
  return kEmptyArray;
}

const Object& Value::as_object() const {
  if (kind_ == Kind::object) return *static_cast<const Object*>(ptr_.get());
  return kEmptyObject;
}

std::size_t Value::size() const {
  if (kind_ == Kind::array) return as_array().size();
  if (kind_ == Kind::object) return as_object().entries.size();
  return 0;
}

const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::object) return nullptr;
  return as_object().find(key);
}

const Value& Value::operator[](std::string_view key) const {
  const Value* v = find(key);
  return v ? *v : kNullValue;
}

const Value& Value::operator[](std::size_t i) const {
  if (kind_ != Kind::array) return kNullValue;
  const Array& a = as_array();
  return i < a.size() ? a[i] : kNullValue;
}

Value& Value::push_back(Value v) {
  if (kind_ == Kind::null) *this = array();
  if (kind_ != Kind::array) return *this;
  Array copy = as_array();  // copy on write keeps shared values immutable
  copy.push_back(std::move(v));
  Seq seq = seq_ == Seq::tuple ? Seq::tuple : Seq::list;
  *this = array(std::move(copy));
  seq_ = seq;
  return *this;
}

Value& Value::set(std::string_view key, Value v) {
  if (kind_ == Kind::null) *this = object();
  if (kind_ != Kind::object) return *this;
  Object copy = as_object();
  copy.set(key, std::move(v));
  *this = object(std::move(copy));
  return *this;
}

Value Value::with_flags(bool safe, bool tuple, bool generator) const {
  Value v = with_seq(tuple ? Seq::tuple : generator ? Seq::generator : Seq::list);
  v.safe_ = safe && kind_ == Kind::string;
  return v;
}

const Callable* Value::as_callable() const noexcept {
  return kind_ == Kind::callable ? static_cast<const Callable*>(ptr_.get()) : nullptr;
}

LoopState* Value::as_loop() const noexcept {
  return kind_ == Kind::loop ? const_cast<LoopState*>(static_cast<const LoopState*>(ptr_.get())) : nullptr;
}

Value Value::from_namespace(Namespace* ns) {
  Value v;
  v.kind_ = Kind::ns;
  v.u_.p = ns;
  return v;
}

Value Value::from_callable(std::shared_ptr<const Callable> c) {
  Value v;
  v.kind_ = Kind::callable;
  v.depth_ = child_depth(c->self);
  v.ptr_ = std::move(c);
  return v;
}

Value Value::from_loop(std::shared_ptr<LoopState> l) {
  Value v;
  v.kind_ = Kind::loop;
  v.depth_ = child_depth(l->items);
  v.ptr_ = std::move(l);
  return v;
}

const Value* Object::find(std::string_view key) const {
  for (const auto& e : entries)
    if (e.first == key) return &e.second;
  return nullptr;
}

void Object::set(std::string_view key, Value v) {
  for (auto& e : entries) {
    if (e.first == key) {
      e.second = std::move(v);
      return;
    }
  }
  entries.emplace_back(std::string(key), std::move(v));
}

}  // namespace chord::tmpl
