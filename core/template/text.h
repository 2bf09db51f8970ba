// Text helpers with Python str semantics: UTF-8 <-> code points, whitespace and printability,
// simple case mapping, float/str repr, HTML escaping (markupsafe) and strftime.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chord::tmpl::text {

// Decodes UTF-8; each invalid byte becomes one code point 0xDC00+byte (like surrogateescape),
// which encode() writes back as the original byte, so any byte string round-trips.
std::vector<char32_t> decode(std::string_view s);
void append_utf8(std::string& out, char32_t cp);
std::string encode(const std::vector<char32_t>& cps, std::size_t begin, std::size_t end);
inline std::string encode(const std::vector<char32_t>& cps) { return encode(cps, 0, cps.size()); }
std::size_t length(std::string_view s);  // number of code points

bool is_space(char32_t c);      // str.isspace / str.split() / str.strip() whitespace
bool is_printable(char32_t c);  // str.isprintable (approximate outside common blocks)
bool is_linebreak(char32_t c);  // str.splitlines boundaries (\r\n counted by the caller)
bool is_alpha(char32_t c);
bool is_digit(char32_t c);
bool is_word(char32_t c);  // regex \w
char32_t to_upper(char32_t c);
char32_t to_lower(char32_t c);
bool is_upper(char32_t c);
bool is_lower(char32_t c);

std::string upper(std::string_view s);
std::string lower(std::string_view s);
std::string py_title(std::string_view s);       // str.title()
std::string py_capitalize(std::string_view s);  // str.capitalize()
std::string py_strip(std::string_view s, bool left, bool right, const std::string* chars);

std::string float_repr(double d);             // Python repr(float): 1.0, 1e-05, 1e+16, inf, nan
std::string str_repr(std::string_view s);     // Python repr(str) with its quote choice and escapes
std::string html_escape(std::string_view s);  // markupsafe.escape

// Python datetime.strftime for a UTC time (C locale); unknown directives are copied.
std::string strftime_utc(std::string_view fmt, std::int64_t unix_seconds);

}  // namespace chord::tmpl::text
