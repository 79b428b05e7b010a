// The JSON emitter under JsonFlowWriter: the calls of rapidjson::Writer the flow writer uses, writing into a
// rapidjson::StringBuffer, without what a record does not need. Keys and our own constants are copied as
// they are; text from outside (already repaired to valid UTF-8 by write_safe_string) is copied in pieces
// between the characters JSON must escape. RapidJSON's general writer looked at every character of every
// key and value one by one and was most of the exporter's time.
#pragma once
#include <rapidjson/stringbuffer.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace spanwatch::lib {

class JsonTextWriter {
 public:
  static constexpr size_t kMaxDepth = 32;  // records nest 5 levels

  JsonTextWriter() = default;
  explicit JsonTextWriter(rapidjson::StringBuffer& out) noexcept { Reset(out); }

  void Reset(rapidjson::StringBuffer& out) noexcept {
    out_ = &out;
    depth_ = 0;
    first_[0] = true;
    after_key_ = false;
  }

  void StartObject() noexcept { open('{'); }
  void EndObject() noexcept { close('}'); }
  void StartArray() noexcept { open('['); }
  void EndArray() noexcept { close(']'); }

  // Our own constants (keys, names from our tables, formatted numbers and addresses): nothing to escape.
  void Key(const char* s, size_t n) noexcept {
    separate();
    put_raw_string(s, n);
    put(':');
    after_key_ = true;
  }
  void String(const char* s, size_t n) noexcept {
    separate();
    put_raw_string(s, n);
  }
  // Text from outside, already valid UTF-8: quotes, backslashes and control characters are escaped.
  void EscapedString(const char* s, size_t n) noexcept {
    separate();
    put_string(s, n);
  }
  void Bool(bool b) noexcept {
    separate();
    b ? append("true", 4) : append("false", 5);
  }
  void Uint64(uint64_t v) noexcept {
    separate();
    char buf[20];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    append(buf, static_cast<size_t>(r.ptr - buf));
  }
  // Fixed notation with at most `decimals` places, trailing zeros dropped (52.52, 4.95713); not-finite
  // values are written as 0, which JSON can carry.
  void Double(double v, int decimals = 5) noexcept {
    separate();
    if (!std::isfinite(v)) v = 0;
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    size_t n = r.ec == std::errc() ? static_cast<size_t>(r.ptr - buf) : 0;
    if (n == 0) {
      buf[0] = '0';
      n = 1;
    }
    if (std::memchr(buf, '.', n)) {
      while (n > 1 && buf[n - 1] == '0') --n;
      if (buf[n - 1] == '.') --n;
    }
    append(buf, n);
  }

 private:
  void put(char c) noexcept { out_->Put(c); }
  void append(const char* s, size_t n) noexcept { std::memcpy(out_->Push(n), s, n); }

  void separate() noexcept {
    if (after_key_) {
      after_key_ = false;
    } else if (!first_[depth_]) {
      put(',');
    }
    first_[depth_] = false;
  }
  void open(char c) noexcept {
    separate();
    put(c);
    if (depth_ + 1 < kMaxDepth) ++depth_;
    first_[depth_] = true;
  }
  void close(char c) noexcept {
    if (depth_ > 0) --depth_;
    put(c);
  }

  static bool needs_escape(unsigned char c) noexcept { return c < 0x20 || c == '"' || c == '\\'; }

  void put_raw_string(const char* s, size_t n) noexcept {
    char* p = out_->Push(n + 2);
    p[0] = '"';
    std::memcpy(p + 1, s, n);
    p[n + 1] = '"';
  }

  void put_string(const char* s, size_t n) noexcept {
    put('"');
    size_t done = 0;
    for (size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (!needs_escape(c)) continue;
      append(s + done, i - done);
      escape(c);
      done = i + 1;
    }
    append(s + done, n - done);
    put('"');
  }
  void escape(unsigned char c) noexcept {
    static constexpr char kHex[] = "0123456789ABCDEF";
    switch (c) {
      case '"':
        append("\\\"", 2);
        return;
      case '\\':
        append("\\\\", 2);
        return;
      case '\b':
        append("\\b", 2);
        return;
      case '\f':
        append("\\f", 2);
        return;
      case '\n':
        append("\\n", 2);
        return;
      case '\r':
        append("\\r", 2);
        return;
      case '\t':
        append("\\t", 2);
        return;
      default: {
        const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        append(u, sizeof u);
      }
    }
  }

  rapidjson::StringBuffer* out_ = nullptr;
  std::array<bool, kMaxDepth> first_{};  // no member written yet at this depth
  size_t depth_ = 0;
  bool after_key_ = false;  // the next value follows a key: no comma
};

}  // namespace spanwatch::lib
