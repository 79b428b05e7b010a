// A small IPFIX message decoder for the tests, written from RFC 7011 alone (it does not use
// ipfix_elements.hpp): header, template sets, data sets decoded by the templates they name. Test-only.
#pragma once
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace spanwatch::lib::ipfix::test {

struct FieldSpec {
  uint16_t id;
  uint16_t length;
  uint32_t pen;
};
using Template = std::vector<FieldSpec>;
using ElementKey = std::pair<uint32_t, uint16_t>;  // (pen, id)
struct DataRecord {
  uint16_t template_id;
  std::map<ElementKey, std::vector<uint8_t>> values;

  const std::vector<uint8_t>& at(uint16_t id, uint32_t pen = 0) const {
    auto it = values.find({pen, id});
    if (it == values.end())
      throw std::runtime_error("no element " + std::to_string(pen) + "/" + std::to_string(id));
    return it->second;
  }
  uint64_t num(uint16_t id, uint32_t pen = 0) const {
    uint64_t v = 0;
    for (uint8_t b : at(id, pen)) v = v << 8 | b;
    return v;
  }
  std::string str(uint16_t id, uint32_t pen = 0) const {
    const auto& b = at(id, pen);
    return std::string(b.begin(), b.end());
  }
};
struct SetInfo {
  uint16_t id;
  uint16_t length;
};
struct Message {
  uint16_t version = 0, length = 0;
  uint32_t export_time = 0, sequence = 0, domain = 0;
  std::vector<SetInfo> sets;
  std::map<uint16_t, Template> templates;  // from this message
  std::vector<DataRecord> records;
};

inline uint64_t be(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

// `known` carries templates from earlier messages of the session (and learns this message's).
inline Message decode(const uint8_t* p, size_t n, std::map<uint16_t, Template>& known) {
  if (n < 16) throw std::runtime_error("short message");
  Message m;
  m.version = uint16_t(be(p, 2));
  m.length = uint16_t(be(p + 2, 2));
  m.export_time = uint32_t(be(p + 4, 4));
  m.sequence = uint32_t(be(p + 8, 4));
  m.domain = uint32_t(be(p + 12, 4));
  if (m.length != n) throw std::runtime_error("message length field != bytes");
  size_t off = 16;
  while (off < n) {
    if (off + 4 > n) throw std::runtime_error("set header past the end");
    const uint16_t sid = uint16_t(be(p + off, 2)), slen = uint16_t(be(p + off + 2, 2));
    if (slen < 4 || off + slen > n) throw std::runtime_error("bad set length");
    m.sets.push_back({sid, slen});
    const uint8_t* s = p + off + 4;
    const uint8_t* end = p + off + slen;
    if (sid == 2) {
      while (s + 4 <= end) {
        const uint16_t tid = uint16_t(be(s, 2)), count = uint16_t(be(s + 2, 2));
        s += 4;
        Template t;
        for (uint16_t i = 0; i < count; ++i) {
          if (s + 4 > end) throw std::runtime_error("template past its set");
          FieldSpec f{uint16_t(be(s, 2)), uint16_t(be(s + 2, 2)), 0};
          s += 4;
          if (f.id & 0x8000) {
            f.id &= 0x7fff;
            f.pen = uint32_t(be(s, 4));
            s += 4;
          }
          t.push_back(f);
        }
        m.templates[tid] = t;
        known[tid] = t;
      }
    } else if (sid >= 256) {
      auto it = known.find(sid);
      if (it == known.end()) throw std::runtime_error("data set without its template");
      while (s < end) {
        DataRecord r{sid, {}};
        for (const FieldSpec& f : it->second) {
          size_t len = f.length;
          if (len == 0xFFFF) {
            len = *s++;
            if (len == 255) {
              len = size_t(be(s, 2));
              s += 2;
            }
          }
          if (s + len > end) throw std::runtime_error("record past its set");
          r.values[{f.pen, f.id}] = std::vector<uint8_t>(s, s + len);
          s += len;
        }
        m.records.push_back(std::move(r));
      }
    }
    off += slen;
  }
  return m;
}

}  // namespace spanwatch::lib::ipfix::test
