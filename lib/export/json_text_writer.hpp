// The JSON emitter under JsonFlowWriter: the calls of rapidjson::Writer the flow writer uses, writing into a
// rapidjson::StringBuffer, without what a record does not need. Keys and our own constants are copied as
// they are; text from outside (already repaired to valid UTF-8 by write_safe_string) is copied in pieces
// between the characters JSON must escape. RapidJSON's general writer looked at every character of every
// key and value one by one and was most of the exporter's time.
// The writer claims room in the buffer a chunk at a time and writes through its own cursor, so a piece costs
// one bounds compare and, for the short keys and values that make up a record, a copy the compiler inlines
// (a libc memcpy call per piece was the largest cost after RapidJSON). Finish() hands the unused room back.
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
  static constexpr size_t kChunk = 4096;   // room claimed at a time: a whole record, most of the time

  JsonTextWriter() = default;
  explicit JsonTextWriter(rapidjson::StringBuffer& out) noexcept { Reset(out); }
  JsonTextWriter(const JsonTextWriter&) = delete;
  JsonTextWriter& operator=(const JsonTextWriter&) = delete;

  // Starts writing at the end of `out`. Until Finish(), `out` holds unused room after the text.
  void Reset(rapidjson::StringBuffer& out) noexcept {
    out_ = &out;
    p_ = end_ = nullptr;
    depth_ = 0;
    first_[0] = true;
    after_key_ = false;
  }
  // Gives back the room not written, so out.GetSize() is the text's end again.
  void Finish() noexcept {
    if (out_ && end_ != p_) out_->Pop(static_cast<size_t>(end_ - p_));
    p_ = end_ = nullptr;
  }

  void StartObject() noexcept { open('{'); }
  void EndObject() noexcept { close('}'); }
  void StartArray() noexcept { open('['); }
  void EndArray() noexcept { close(']'); }

  // Our own constants (keys, names from our tables, formatted numbers and addresses): nothing to escape.
  [[gnu::always_inline]] void Key(const char* s, size_t n) noexcept {
    char* p = room(n + 4);
    p = separate(p);
    *p++ = '"';
    copy(p, s, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    p_ = p;
    after_key_ = true;
  }
  [[gnu::always_inline]] void String(const char* s, size_t n) noexcept {
    char* p = separate(room(n + 3));
    *p++ = '"';
    copy(p, s, n);
    p += n;
    *p++ = '"';
    p_ = p;
  }
  // Pre-formatted JSON (an array or object text we built ourselves), written as a value.
  void RawValue(const char* s, size_t n) noexcept {
    char* p = separate(room(n + 1));
    copy(p, s, n);
    p_ = p + n;
  }
  // Text from outside, already valid UTF-8: quotes, backslashes and control characters are escaped.
  void EscapedString(const char* s, size_t n) noexcept {
    p_ = separate(room(1));
    put_string(s, n);
  }
  void Bool(bool b) noexcept {
    char* p = separate(room(6));
    b ? copy(p, "true", 4) : copy(p, "false", 5);
    p_ = p + (b ? 4 : 5);
  }
  void Uint64(uint64_t v) noexcept {
    char* p = separate(room(21));
    p_ = std::to_chars(p, p + 20, v).ptr;
  }
  // Fixed notation with at most `decimals` places, trailing zeros dropped (52.52, 4.95713); not-finite
  // values are written as 0, which JSON can carry.
  void Double(double v, int decimals = 5) noexcept {
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
    RawValue(buf, n);
  }

 private:
  // A pointer with room for n more bytes (and one separator byte).
  [[gnu::always_inline]] char* room(size_t n) noexcept {
    if (static_cast<size_t>(end_ - p_) < n + 1) [[unlikely]]
      grow(n + 1);
    return p_;
  }
  void grow(size_t n) noexcept {
    Finish();
    const size_t claim = n > kChunk ? n : kChunk;
    p_ = out_->Push(claim);  // may move the buffer: the text written so far moves with it
    end_ = p_ + claim;
  }
  // Copies of a few bytes as overlapping word moves instead of a call.
  [[gnu::always_inline]] static void copy(char* d, const char* s, size_t n) noexcept {
    if (n >= 8) {
      if (n > 16) {
        std::memcpy(d, s, n);
        return;
      }
      uint64_t a, b;
      std::memcpy(&a, s, 8);
      std::memcpy(&b, s + n - 8, 8);
      std::memcpy(d, &a, 8);
      std::memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
      uint32_t a, b;
      std::memcpy(&a, s, 4);
      std::memcpy(&b, s + n - 4, 4);
      std::memcpy(d, &a, 4);
      std::memcpy(d + n - 4, &b, 4);
    } else if (n > 0) {
      d[0] = s[0];
      d[n / 2] = s[n / 2];
      d[n - 1] = s[n - 1];
    }
  }

  [[gnu::always_inline]] char* separate(char* p) noexcept {
    if (after_key_) {
      after_key_ = false;
    } else if (!first_[depth_]) {
      *p++ = ',';
    }
    first_[depth_] = false;
    return p;
  }
  void open(char c) noexcept {
    char* p = separate(room(1));
    *p++ = c;
    p_ = p;
    if (depth_ + 1 < kMaxDepth) ++depth_;
    first_[depth_] = true;
  }
  void close(char c) noexcept {
    if (depth_ > 0) --depth_;
    *room(1) = c;
    ++p_;
  }

  static bool needs_escape(unsigned char c) noexcept { return c < 0x20 || c == '"' || c == '\\'; }

  void append(const char* s, size_t n) noexcept {
    copy(room(n), s, n);
    p_ += n;
  }
  void put_string(const char* s, size_t n) noexcept {
    append("\"", 1);
    size_t done = 0;
    for (size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (!needs_escape(c)) continue;
      append(s + done, i - done);
      escape(c);
      done = i + 1;
    }
    append(s + done, n - done);
    append("\"", 1);
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
  char* p_ = nullptr;    // next byte to write
  char* end_ = nullptr;  // end of the room claimed in out_
  std::array<bool, kMaxDepth> first_{};  // no member written yet at this depth
  size_t depth_ = 0;
  bool after_key_ = false;  // the next value follows a key: no comma
};

}  // namespace spanwatch::lib
