// JSON Schema -> GBNF: a walk over the schema that mirrors llama.cpp's common_schema_converter
// (same rule names, same order of keyword checks, same rule shapes as the llama.cpp that
// @fugood/llama.node ships), errors collected with the JSON pointer of the schema part that caused
// them. Nested $defs are hoisted to the root as newer llama.cpp does.
#include "core/grammar/json_schema.h"

#include <map>
#include <set>

#include "core/grammar/gbnf.h"
#include "core/grammar/json_schema_rules.h"
#include "core/template/chat_template.h"

namespace chord::grammar {
namespace {

using tmpl::Value;
using namespace schema;

constexpr int kMaxVisitDepth = 128;
constexpr size_t kMaxGrammarBytes = 4u << 20;

std::string compact_json(const Value& v) {
  tmpl::JsonOptions o;
  o.item_sep = ",";
  o.key_sep = ":";
  auto r = tmpl::dump_json(v, o);
  return r.ok() ? r.value() : std::string("null");
}

// Nested "$defs" moved to the root (llama.cpp's hoist_defs_to_root): first definition wins.
Value strip_defs(const Value& v, tmpl::Object& found) {
  if (v.is_array()) {
    Value out = Value::array();
    for (const Value& x : v.as_array()) out.push_back(x.is_object() ? strip_defs(x, found) : x);
    return out;
  }
  if (!v.is_object()) return v;
  if (const Value* d = v.find("$defs"); d && d->is_object())
    for (const auto& [k, def] : d->as_object().entries)
      if (!found.find(k)) found.set(k, def);
  Value out = Value::object();
  for (const auto& [k, x] : v.as_object().entries) {
    if (k == "$defs" && x.is_object()) continue;
    out.set(k, x.is_object() || x.is_array() ? strip_defs(x, found) : x);
  }
  return out;
}

std::string sanitize_name(const std::string& s) {
  std::string out;
  bool run = false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (ok)
      out += c, run = false;
    else if (!run)
      out += '-', run = true;
  }
  return out;
}

// A code point inside a GBNF char set: hex escape for anything that could end or bend the set.
std::string set_char(uint32_t cp) {
  if (cp < 0x20 || cp == '"' || cp == '\\' || cp == ']' || cp == '-' || cp == '^' || cp == '[' || cp == 0x7F) {
    static const char* hex = "0123456789ABCDEF";
    return std::string("\\x") + hex[cp >> 4] + hex[cp & 15];
  }
  std::string s;
  if (cp < 0x80)
    s += static_cast<char>(cp);
  else if (cp < 0x800)
    s += static_cast<char>(0xC0 | (cp >> 6)), s += static_cast<char>(0x80 | (cp & 63));
  else if (cp < 0x10000)
    s += static_cast<char>(0xE0 | (cp >> 12)), s += static_cast<char>(0x80 | ((cp >> 6) & 63)),
        s += static_cast<char>(0x80 | (cp & 63));
  else
    s += static_cast<char>(0xF0 | (cp >> 18)), s += static_cast<char>(0x80 | ((cp >> 12) & 63)),
        s += static_cast<char>(0x80 | ((cp >> 6) & 63)), s += static_cast<char>(0x80 | (cp & 63));
  return s;
}

std::vector<uint32_t> code_points(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    const int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    uint32_t cp = len == 1 ? b : b & (0x3F >> (len - 1));
    for (int k = 1; k < len && i + static_cast<size_t>(k) < s.size(); ++k)
      cp = (cp << 6) | (static_cast<uint8_t>(s[i + static_cast<size_t>(k)]) & 63);
    out.push_back(cp);
    i += static_cast<size_t>(len);
  }
  return out;
}

class Converter {
 public:
  explicit Converter(Value root) : root_(std::move(root)) { rules_["space"] = kSpaceRule; }

  void resolve_refs(const Value& n, const std::string& path) {
    if (n.is_array()) {
      for (size_t i = 0; i < n.size(); ++i) resolve_refs(n[i], path + "/" + std::to_string(i));
      return;
    }
    if (!n.is_object()) return;
    const Value* ref = n.find("$ref");
    if (!ref) {
      for (const auto& [k, v] : n.as_object().entries) resolve_refs(v, path + "/" + k);
      return;
    }
    if (!ref->is_string()) return error(path + "/$ref", "$ref must be a string");
    const std::string& r = ref->as_string();
    if (refs_.count(r)) return;
    if (r.rfind("#/", 0) != 0)
      return error(path + "/$ref", "unsupported $ref '" + r + "' (only local #/... references)");
    const Value* target = &root_;
    size_t at = 2;
    while (at <= r.size()) {
      size_t slash = r.find('/', at);
      if (slash == std::string::npos) slash = r.size();
      std::string tok = r.substr(at, slash - at);
      for (size_t k; (k = tok.find("~1")) != std::string::npos;) tok.replace(k, 2, "/");
      for (size_t k; (k = tok.find("~0")) != std::string::npos;) tok.replace(k, 2, "~");
      const Value* next = nullptr;
      if (target->is_object())
        next = target->find(tok);
      else if (target->is_array() && !tok.empty() && tok.find_first_not_of("0123456789") == std::string::npos &&
               tok.size() < 10)
        next = std::stoul(tok) < target->size() ? &(*target)[std::stoul(tok)] : nullptr;
      if (!next) return error(path + "/$ref", "cannot resolve $ref '" + r + "': '" + tok + "' not found");
      target = next;
      at = slash + 1;
    }
    refs_[r] = *target;
  }

  std::string visit(const Value& s, const std::string& name, const std::string& path, int depth = 0) {
    if (depth > kMaxVisitDepth) return error(path, "schema nests too deep"), "";
    const Value* type = s.find("type");
    const bool untyped = !type || type->is_null();
    auto type_is = [&](const char* t) { return type && type->is_string() && type->as_string() == t; };
    std::string format;
    if (const Value* f = s.find("format")) {
      if (!f->is_string()) return error(path + "/format", "format must be a string"), "";
      format = f->as_string();
    }
    const std::string rule_name = is_reserved_name(name) ? name + "-" : name.empty() ? "root" : name;
    const std::string sep = name.empty() ? "" : "-";

    if (const Value* ref = s.find("$ref")) {
      if (!ref->is_string()) return error(path + "/$ref", "$ref must be a string"), "";
      return add_rule(rule_name, resolve_ref(ref->as_string(), path, depth));
    }
    const Value* alts = s.find("oneOf");
    if (!alts) alts = s.find("anyOf");
    if (alts) {
      if (!alts->is_array()) return error(path, "oneOf/anyOf must be an array"), "";
      std::vector<Value> v(alts->as_array().begin(), alts->as_array().end());
      return add_rule(rule_name, union_rule(name, v, path + (s.find("oneOf") ? "/oneOf" : "/anyOf"), depth));
    }
    if (type && type->is_array()) {
      std::vector<Value> v;
      for (const Value& t : type->as_array()) {
        Value copy = s;
        copy.set("type", t);
        v.push_back(copy);
      }
      return add_rule(rule_name, union_rule(name, v, path + "/type", depth));
    }
    if (const Value* c = s.find("const")) return add_rule(rule_name, format_literal(compact_json(*c)));
    if (const Value* e = s.find("enum")) {
      if (!e->is_array() || e->size() == 0) return error(path + "/enum", "enum must be a non-empty array"), "";
      std::string alt;
      for (const Value& v : e->as_array()) alt += (alt.empty() ? "" : " | ") + format_literal(compact_json(v));
      return add_rule(rule_name, "(" + alt + ")");
    }
    const Value* add_props = s.find("additionalProperties");
    if ((untyped || type_is("object")) &&
        (s.find("properties") || (add_props && !(add_props->is_bool() && add_props->as_bool())))) {
      std::set<std::string> required;
      if (const Value* r = s.find("required"); r && r->is_array())
        for (const Value& x : r->as_array())
          if (x.is_string()) required.insert(x.as_string());
      std::vector<std::pair<std::string, Value>> props;
      if (const Value* p = s.find("properties")) {
        if (!p->is_object()) return error(path + "/properties", "properties must be an object"), "";
        for (const auto& [k, v] : p->as_object().entries) props.emplace_back(k, v);
      }
      return add_rule(rule_name, object_rule(props, required, name, add_props ? *add_props : Value(), path, depth));
    }
    if ((untyped || type_is("object") || type_is("string")) && s.find("allOf"))
      return all_of(s, name, rule_name, path, depth);
    if ((untyped || type_is("array")) && (s.find("items") || s.find("prefixItems"))) {
      const bool has_items = s.find("items") != nullptr;
      const Value& items = has_items ? s["items"] : s["prefixItems"];
      const std::string ipath = path + (has_items ? "/items" : "/prefixItems");
      if (items.is_array()) {
        std::string rule = "\"[\" space ";
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) rule += " \",\" space ";
          rule +=
              visit(items[i], name + sep + "tuple-" + std::to_string(i), ipath + "/" + std::to_string(i), depth + 1);
        }
        return add_rule(rule_name, rule + " space \"]\"");
      }
      const std::string item = visit(items, name + sep + "item", ipath, depth + 1);
      int min_n = 0, max_n = kNoMax;
      if (!count(s, "minItems", path, min_n) || !count(s, "maxItems", path, max_n)) return "";
      return add_rule(rule_name, "\"[\" space " + build_repetition(item, min_n, max_n, "\",\" space") + " space \"]\"");
    }
    if ((untyped || type_is("string")) && s.find("pattern")) {
      const Value& pat = s["pattern"];
      if (!pat.is_string()) return error(path + "/pattern", "pattern must be a string"), "";
      PatternResult r = convert_pattern(pat.as_string(), rule_name,
                                        [&](const std::string& n, const std::string& b) { return add_rule(n, b); });
      if (!r.error.empty()) return error(path + "/pattern", r.error), "";
      return add_rule(rule_name, r.body);
    }
    const bool uuid_format = format.rfind("uuid", 0) == 0 &&
                             (format.size() == 4 || (format.size() == 5 && format[4] >= '1' && format[4] <= '5'));
    if ((untyped || type_is("string")) && uuid_format)
      return add_primitive(rule_name == "root" ? "root" : format, *find_primitive("uuid"));
    if ((untyped || type_is("string")) && find_format(format + "-string")) {
      const std::string prim = format + "-string";
      return add_rule(rule_name, add_primitive(prim, *find_format(prim)));
    }
    if (type_is("string") && (s.find("minLength") || s.find("maxLength"))) {
      const std::string ch = add_primitive("char", *find_primitive("char"));
      int min_n = 0, max_n = kNoMax;
      if (!count(s, "minLength", path, min_n) || !count(s, "maxLength", path, max_n)) return "";
      return add_rule(rule_name, "\"\\\"\" " + build_repetition(ch, min_n, max_n) + " \"\\\"\"");
    }
    if (type_is("integer") &&
        (s.find("minimum") || s.find("exclusiveMinimum") || s.find("maximum") || s.find("exclusiveMaximum"))) {
      int64_t lo = kNoMinInt, hi = kNoMaxInt;
      if (!bound(s, "minimum", 0, path, lo) && !bound(s, "exclusiveMinimum", 1, path, lo) && !errors_.empty())
        return "";
      if (!bound(s, "maximum", 0, path, hi) && !bound(s, "exclusiveMaximum", -1, path, hi) && !errors_.empty())
        return "";
      if (lo != kNoMinInt && hi != kNoMaxInt && lo > hi) return error(path, "minimum is above maximum"), "";
      return add_rule(rule_name, "(" + build_min_max_int(lo, hi) + ")");
    }
    if (s.is_null() || (s.is_object() && s.size() == 0) || type_is("object"))
      return add_rule(rule_name, add_primitive("object", *find_primitive("object")));
    if (untyped && s.is_object()) return add_rule(rule_name, add_primitive("value", *find_primitive("value")));
    if (!type || !type->is_string() || !find_primitive(type->as_string()))
      return error(path, "unrecognized schema: " + compact_json(s).substr(0, 200)), "";
    return add_primitive(rule_name == "root" ? "root" : type->as_string(), *find_primitive(type->as_string()));
  }

  Result<std::string> finish() {
    if (!errors_.empty()) {
      std::string msg = "JSON schema: ";
      for (size_t i = 0; i < errors_.size() && i < 5; ++i) msg += (i ? "; " : "") + errors_[i];
      return Status(Code::invalid_argument, msg);
    }
    std::string out;
    for (const auto& [k, v] : rules_) {
      out += k + " ::= " + v + "\n";
      if (out.size() > kMaxGrammarBytes)
        return Status(Code::invalid_argument, "JSON schema: the grammar would exceed 4 MiB");
    }
    return out;
  }

  const Value& root() const { return root_; }

 private:
  void error(const std::string& path, const std::string& msg) {
    errors_.push_back((path.empty() ? "/" : path) + ": " + msg);
  }

  bool count(const Value& s, const char* key, const std::string& path, int& out) {
    const Value* v = s.find(key);
    if (!v) return true;
    // Written so that NaN fails too (the JSON reader accepts NaN and Infinity).
    if (!v->is_number() || v->is_bool() || !(v->as_double() >= 0 && v->as_double() <= 1e9))
      return error(path + "/" + key, std::string(key) + " must be a non-negative integer"), false;
    out = static_cast<int>(v->as_double());
    return true;
  }
  // Reads an integer bound (+ adjust for exclusive ones); false if absent or invalid.
  bool bound(const Value& s, const char* key, int adjust, const std::string& path, int64_t& out) {
    const Value* v = s.find(key);
    if (!v) return false;
    if (!v->is_number() || v->is_bool() || !(v->as_double() >= -9e15 && v->as_double() <= 9e15))
      return error(path + "/" + key, std::string(key) + " must be a number within +-9e15"), false;
    out = (v->is_int() ? v->as_int() : static_cast<int64_t>(v->as_double())) + adjust;
    return true;
  }

  std::string add_rule(const std::string& name, const std::string& rule) {
    const std::string esc = sanitize_name(name);
    auto it = rules_.find(esc);
    if (it == rules_.end() || it->second == rule) {
      rules_[esc] = rule;
      return esc;
    }
    for (int i = 0;; ++i) {
      const std::string key = esc + std::to_string(i);
      auto k = rules_.find(key);
      if (k == rules_.end() || k->second == rule) {
        rules_[key] = rule;
        return key;
      }
    }
  }

  std::string add_primitive(const std::string& name, const Primitive& p) {
    const std::string n = add_rule(name, p.body);
    for (const char* dep : p.deps) {
      const Primitive* d = find_primitive(dep);
      if (!d) d = find_format(dep);
      if (d && !rules_.count(dep)) add_primitive(dep, *d);
    }
    return n;
  }

  std::string union_rule(const std::string& name, const std::vector<Value>& alts, const std::string& path, int depth) {
    std::string out;
    for (size_t i = 0; i < alts.size(); ++i) {
      const std::string n = name + (name.empty() ? "alternative-" : "-") + std::to_string(i);
      out += (i ? " | " : "") + visit(alts[i], n, path + "/" + std::to_string(i), depth + 1);
    }
    return out;
  }

  std::string resolve_ref(const std::string& ref, const std::string& path, int depth) {
    const size_t hash = ref.find('#');
    std::string ref_name = "ref" + sanitize_name(hash == std::string::npos ? ref : ref.substr(hash + 1));
    if (!rules_.count(ref_name) && !resolving_.count(ref)) {
      auto it = refs_.find(ref);
      if (it == refs_.end()) return error(path + "/$ref", "unresolved $ref '" + ref + "'"), ref_name;
      resolving_.insert(ref);
      const Value target = it->second;
      ref_name = visit(target, ref_name, ref.substr(hash == std::string::npos ? 0 : hash + 1), depth + 1);
      resolving_.erase(ref);
    }
    return ref_name;
  }

  // A JSON string that is none of `names` (llama.cpp's _not_strings), over code points.
  std::string not_strings(const std::vector<std::string>& names) {
    struct Trie {
      std::map<uint32_t, Trie> kids;
      bool end = false;
    } trie;
    for (const auto& n : names) {
      Trie* t = &trie;
      for (uint32_t cp : code_points(n)) t = &t->kids[cp];
      t->end = true;
    }
    const std::string ch = add_primitive("char", *find_primitive("char"));
    std::string out = "[\"] ( ";
    std::function<void(const Trie&)> walk = [&](const Trie& t) {
      std::string rejects;
      bool first = true;
      for (const auto& [cp, kid] : t.kids) {
        rejects += set_char(cp);
        if (!first) out += " | ";
        first = false;
        out += "[" + set_char(cp) + "]";
        if (!kid.kids.empty()) {
          out += " (";
          walk(kid);
          out += ")";
        } else if (kid.end) {
          out += " " + ch + "+";
        }
      }
      if (!t.kids.empty()) out += std::string(first ? "" : " | ") + "[^\"" + rejects + "] " + ch + "*";
    };
    walk(trie);
    out += " )";
    if (!trie.end) out += "?";
    return out + " [\"]";
  }

  std::string object_rule(const std::vector<std::pair<std::string, Value>>& props,
                          const std::set<std::string>& required, const std::string& name, const Value& additional,
                          const std::string& path, int depth) {
    const std::string sep = name.empty() ? "" : "-";
    std::vector<std::string> req, opt, names;
    std::map<std::string, std::string> kv;
    for (const auto& [k, v] : props) {
      const std::string prop_rule = visit(v, name + sep + k, path + "/properties/" + k, depth + 1);
      kv[k] =
          add_rule(name + sep + k + "-kv", format_literal(compact_json(Value(k))) + " space \":\" space " + prop_rule);
      (required.count(k) ? req : opt).push_back(k);
      names.push_back(k);
    }
    if ((additional.is_bool() && additional.as_bool()) || additional.is_object()) {
      const std::string sub = name + sep + "additional";
      const std::string value_rule = additional.is_object()
                                         ? visit(additional, sub + "-value", path + "/additionalProperties", depth + 1)
                                         : add_primitive("value", *find_primitive("value"));
      const std::string key_rule =
          names.empty() ? add_primitive("string", *find_primitive("string")) : add_rule(sub + "-k", not_strings(names));
      kv["*"] = add_rule(sub + "-kv", key_rule + " \":\" space " + value_rule);
      opt.push_back("*");
    }
    std::string rule = "\"{\" space ";
    for (size_t i = 0; i < req.size(); ++i) rule += (i ? " \",\" space " : "") + kv[req[i]];
    if (!opt.empty()) {
      rule += " (";
      if (!req.empty()) rule += " \",\" space ( ";
      // Optional properties in their order, each possibly skipped: alternatives by first present.
      std::function<std::string(size_t, bool)> rest = [&](size_t from, bool first_optional) {
        const std::string& k = opt[from];
        const std::string comma = "( \",\" space " + kv[k] + " )";
        std::string r = first_optional ? comma + (k == "*" ? "*" : "?") : kv[k] + (k == "*" ? " " + comma + "*" : "");
        if (from + 1 < opt.size()) r += " " + add_rule(name + sep + k + "-rest", rest(from + 1, true));
        return r;
      };
      for (size_t i = 0; i < opt.size(); ++i) rule += (i ? " | " : "") + rest(i, false);
      if (!req.empty()) rule += " )";
      rule += " )?";
    }
    return rule + " space \"}\"";
  }

  std::string all_of(const Value& s, const std::string& name, const std::string& rule_name, const std::string& path,
                     int depth) {
    std::set<std::string> required;
    std::vector<std::pair<std::string, Value>> props;
    std::map<std::string, size_t> enums;
    std::function<void(const Value&, bool, int)> add = [&](const Value& c, bool is_required, int d) {
      if (d > kMaxVisitDepth) return error(path + "/allOf", "$ref chain too deep");
      if (const Value* r = c.find("$ref"); r && r->is_string()) {
        auto it = refs_.find(r->as_string());
        if (it != refs_.end()) add(it->second, is_required, d + 1);
      } else if (const Value* p = c.find("properties"); p && p->is_object()) {
        for (const auto& [k, v] : p->as_object().entries) {
          props.emplace_back(k, v);
          if (is_required) required.insert(k);
        }
      } else if (const Value* e = c.find("enum"); e && e->is_array()) {
        for (const Value& v : e->as_array()) ++enums[format_literal(compact_json(v))];
      }
    };
    const Value& all = s["allOf"];
    if (!all.is_array()) return error(path + "/allOf", "allOf must be an array"), "";
    for (const Value& t : all.as_array()) {
      if (const Value* any = t.find("anyOf"); any && any->is_array()) {
        for (const Value& tt : any->as_array()) add(tt, false, 0);
      } else {
        add(t, true, 0);
      }
    }
    std::string inter;
    for (const auto& [lit, n] : enums)
      if (n == all.size()) inter += (inter.empty() ? "" : " | ") + lit;
    if (!inter.empty()) return add_rule(rule_name, "(" + inter + ")");
    return add_rule(rule_name, object_rule(props, required, name, Value(), path + "/allOf", depth));
  }

  Value root_;
  std::map<std::string, std::string> rules_;
  std::map<std::string, Value> refs_;
  std::set<std::string> resolving_;
  std::vector<std::string> errors_;
};

}  // namespace

Result<std::string> json_schema_to_gbnf(std::string_view schema_json) {
  auto parsed = tmpl::parse_json(schema_json);
  if (!parsed.ok()) return Status(Code::invalid_argument, "JSON schema: " + parsed.status().message());
  Value schema = parsed.value();
  if (schema.is_object()) {
    tmpl::Object defs;
    schema = strip_defs(schema, defs);
    if (!defs.entries.empty()) {
      Value merged = schema["$defs"].is_object() ? schema["$defs"] : Value::object();
      for (const auto& [k, v] : defs.entries)
        if (!merged.find(k)) merged.set(k, v);
      schema.set("$defs", merged);
    }
  }
  Converter c(schema);
  c.resolve_refs(c.root(), "");
  c.visit(c.root(), "", "");
  CHORD_ASSIGN_OR_RETURN(std::string gbnf, c.finish());
  auto check = parse_gbnf(gbnf);  // what we emit must be a grammar we (and llama.cpp) accept
  if (!check.ok())
    return Status(Code::invalid_argument,
                  "JSON schema: the generated grammar is invalid (" + check.status().message() + ")");
  return gbnf;
}

const std::string& json_object_gbnf() {
  static const std::string g = json_schema_to_gbnf("{}").value();
  return g;
}

}  // namespace chord::grammar
