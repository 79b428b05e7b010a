// RecordFields: a RapidJSON SAX handler walking a small tree of the member names the viewer reads; every
// other member is tokenised and skipped. Values are kept as rapidjson::Value (numbers by value, strings as
// references into the text), so the summary code asks the same type questions as of a parsed document.
//
// RapidJSON's SIMD string scan (RAPIDJSON_SSE2) is not used: it lets control characters 0x1a-0x1f through
// inside strings (its "less than 0x20" test is "at most 0x19"), which the plain parser rejects.
#include "viewer/record_fields.hpp"

#include <rapidjson/reader.h>

#include <bit>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cstdlib>
#include <cstring>
#include <string>

namespace spanwatch::viewer {
namespace {

using rapidjson::SizeType;
using rapidjson::Value;
using F = RecordField;
using E = EndpointField;

constexpr int kNoField = -1;
constexpr int kRiskName = -2, kRiskId = -3, kRiskSeverity = -4;  // fields of the current risk item

// The member names read, as a tree: each node an object, each entry a member that is a field, an object
// read further (child), or both (tls: its presence counts, and tls.client.server_name is read).
struct Schema {
  struct Entry {
    std::string_view key;
    int field = kNoField;
    int child = -1;
  };
  static constexpr uint8_t kNone = 0, kCollision = 0xff;
  struct Node {
    std::vector<Entry> entries;
    // A key's entry (index + 1) by key_hash(), kNone or kCollision (then the entries are searched).
    std::array<uint8_t, 64> by_hash{};
  };
  std::vector<Node> nodes;
  int root = 0, risk_item = 0;

  static size_t key_hash(const char* key, size_t len) noexcept {
    return len == 0 ? 0
                    : (len * 7 + static_cast<unsigned char>(key[0]) * 31 +
                       static_cast<unsigned char>(key[len - 1])) &
                          63;
  }
  // The entry for a member name, or nullptr; i is its index in the node.
  const Entry* find(const Node& n, const char* key, size_t len, size_t& i) const noexcept {
    const uint8_t at = n.by_hash[key_hash(key, len)];
    if (at == kNone) return nullptr;
    if (at != kCollision) {
      i = at - 1u;
      const std::string_view k = n.entries[i].key;
      return k.size() == len && std::memcmp(k.data(), key, len) == 0 ? &n.entries[i] : nullptr;
    }
    for (i = 0; i < n.entries.size(); ++i) {
      const std::string_view k = n.entries[i].key;
      if (k.size() == len && std::memcmp(k.data(), key, len) == 0) return &n.entries[i];
    }
    return nullptr;
  }

  int node() {
    nodes.emplace_back();
    return static_cast<int>(nodes.size()) - 1;
  }
  void add(int n, Entry e) {
    Node& node = nodes[static_cast<size_t>(n)];
    if (node.entries.size() == 32) std::abort();  // a frame marks the members it met in 32 bits
    node.entries.push_back(e);
    uint8_t& at = node.by_hash[key_hash(e.key.data(), e.key.size())];
    at = at == kNone ? static_cast<uint8_t>(node.entries.size()) : kCollision;
  }
  void leaf(int n, std::string_view key, int field) { add(n, {key, field, -1}); }
  int object(int n, std::string_view key, int field = kNoField) {
    const int c = node();
    add(n, {key, field, c});
    return c;
  }
  void endpoint(int side, int ext, int base) {
    leaf(side, "ip", base + E::kIp);
    leaf(side, "port", base + E::kPort);
    leaf(side, "bytes", base + E::kBytes);
    leaf(side, "packets", base + E::kPackets);
    leaf(side, "mac", base + E::kMac);
    leaf(side, "domain", base + E::kDomain);
    const int geo = object(side, "geo");
    leaf(geo, "country_iso_code", base + E::kCountryIso);
    leaf(geo, "country_name", base + E::kCountryName);
    leaf(geo, "city_name", base + E::kCity);
    const int as = object(side, "as");
    leaf(as, "number", base + E::kAsNumber);
    leaf(object(as, "organization"), "name", base + E::kAsOrg);
    leaf(ext, "mac_vendor", base + E::kMacVendor);
    leaf(ext, "service", base + E::kService);
    leaf(ext, "hostname", base + E::kHostname);
    leaf(ext, "as_class", base + E::kAsClass);
  }

  Schema() {
    root = node();
    leaf(root, "@timestamp", F::kTimestamp);
    const int event = object(root, "event");
    leaf(event, "start", F::kEventStart);
    leaf(event, "end", F::kEventEnd);
    leaf(event, "duration", F::kEventDuration);
    leaf(event, "reason", F::kEventReason);
    leaf(event, "risk_score", F::kEventRiskScore);
    leaf(object(root, "observer"), "name", F::kObserverName);
    const int net = object(root, "network");
    leaf(net, "transport", F::kNetTransport);
    leaf(net, "iana_number", F::kNetIana);
    leaf(net, "protocol", F::kNetProtocol);
    leaf(net, "application", F::kNetApplication);
    leaf(object(net, "vlan"), "id", F::kNetVlanId);
    const int source = object(root, "source"), destination = object(root, "destination");
    leaf(object(object(root, "tls", F::kTls), "client"), "server_name", F::kTlsServerName);
    leaf(object(object(root, "dns"), "question"), "name", F::kDnsQuestionName);
    const int url = object(root, "url");
    leaf(url, "domain", F::kUrlDomain);
    leaf(url, "original", F::kUrlOriginal);
    const int sw = object(root, "spanwatch");
    const int flow = object(sw, "flow");
    leaf(flow, "id", F::kFlowId);
    leaf(flow, "final", F::kFlowFinal);
    leaf(flow, "sequence", F::kFlowSequence);
    leaf(flow, "conn_state", F::kFlowConnState);
    leaf(flow, "history", F::kFlowHistory);
    const int l7 = object(sw, "l7");
    leaf(l7, "proto", F::kL7Proto);
    leaf(l7, "category", F::kL7Category);
    leaf(l7, "breed", F::kL7Breed);
    leaf(l7, "encrypted", F::kL7Encrypted);
    leaf(l7, "info", F::kL7Info);
    const int src = object(sw, "src"), dst = object(sw, "dst");
    leaf(src, "payload_bytes", F::kSrcPayloadBytes);
    const int tcp = object(sw, "tcp");
    leaf(tcp, "conn_state", F::kTcpConnState);
    leaf(tcp, "conn_state_major", F::kTcpConnStateMajor);
    leaf(tcp, "history", F::kTcpHistory);
    leaf(tcp, "flags", F::kTcpFlags);
    leaf(tcp, "flags_ts", F::kTcpFlagsTs);
    leaf(tcp, "flags_tc", F::kTcpFlagsTc);
    const int risk = object(sw, "risk");
    leaf(risk, "score", F::kRiskScore);
    leaf(risk, "list", F::kRiskList);
    leaf(sw, "labels", F::kLabels);
    leaf(object(object(sw, "ssh"), "client"), "software", F::kSshClientSoftware);
    leaf(object(sw, "dhcp"), "hostname", F::kDhcpHostname);
    endpoint(source, src, F::kSrc);
    endpoint(destination, dst, static_cast<int>(kDstFields));
    risk_item = node();
    leaf(risk_item, "name", kRiskName);
    leaf(risk_item, "id", kRiskId);
    leaf(risk_item, "severity", kRiskSeverity);
  }
};

const Schema& schema() {
  static const Schema s;
  return s;
}

}  // namespace

struct RecordFields::Frame {
  enum Kind : uint8_t { kSkip, kObject, kLabels, kRiskList };
  Kind kind = kSkip;
  int node = -1;                           // kObject: the schema node
  uint32_t seen = 0;                       // kObject: entries met already (the first member of a name counts)
  const Schema::Entry* pending = nullptr;  // kObject: the entry whose value comes next
};

// The SAX handler (RapidJSON calls it by these names).
class RecordCapture {
 public:
  explicit RecordCapture(RecordFields& f) : f_(f), s_(schema()) {}
  bool root_is_object() const noexcept { return root_object_; }

  bool Null() {
    return scalar([](Value& v) { v.SetNull(); });
  }
  bool Bool(bool b) {
    return scalar([b](Value& v) { v.SetBool(b); });
  }
  bool Int(int i) {
    return scalar([i](Value& v) { v.SetInt(i); });
  }
  bool Uint(unsigned u) {
    return scalar([u](Value& v) { v.SetUint(u); });
  }
  bool Int64(int64_t i) {
    return scalar([i](Value& v) { v.SetInt64(i); });
  }
  bool Uint64(uint64_t u) {
    return scalar([u](Value& v) { v.SetUint64(u); });
  }
  bool Double(double d) {
    return scalar([d](Value& v) { v.SetDouble(d); });
  }
  bool RawNumber(const char*, SizeType, bool) { return true; }  // not requested (kParseNumbersAsStrings)
  bool String(const char* str, SizeType len, bool) {
    if (!f_.stack_.empty() && f_.stack_.back().kind == RecordFields::Frame::kLabels) {
      if (f_.labels_.size() < RecordFields::kMaxLabels) f_.labels_.emplace_back(str, len);
      return true;
    }
    return scalar([str, len](Value& v) { v.SetString(rapidjson::StringRef(str, len)); });
  }
  bool Key(const char* str, SizeType len, bool) {
    RecordFields::Frame& fr = f_.stack_.back();
    fr.pending = nullptr;
    if (fr.kind != RecordFields::Frame::kObject) return true;
    size_t i = 0;
    if (const Schema::Entry* e = s_.find(s_.nodes[static_cast<size_t>(fr.node)], str, len, i)) {
      const uint32_t bit = uint32_t{1} << i;
      if ((fr.seen & bit) == 0) {
        fr.seen |= bit;
        fr.pending = e;
      }
    }
    return true;
  }
  bool StartObject() {
    using Frame = RecordFields::Frame;
    if (f_.stack_.empty()) {
      root_object_ = true;
      f_.stack_.push_back({Frame::kObject, s_.root, 0, nullptr});
      return true;
    }
    Frame& fr = f_.stack_.back();
    if (fr.kind == Frame::kRiskList) {
      if (!risk_item()) return push_skip();
      f_.stack_.push_back({Frame::kObject, s_.risk_item, 0, nullptr});
      return true;
    }
    const Schema::Entry* e = take_pending(fr);
    if (e == nullptr) return push_skip();
    if (Value* v = slot(e->field)) v->SetObject();
    if (e->child < 0) return push_skip();
    f_.stack_.push_back({Frame::kObject, e->child, 0, nullptr});
    return true;
  }
  bool EndObject(SizeType) {
    f_.stack_.pop_back();
    return true;
  }
  bool StartArray() {
    using Frame = RecordFields::Frame;
    if (f_.stack_.empty()) {
      f_.stack_.push_back({});  // the root is not an object: the record is rejected
      return true;
    }
    Frame& fr = f_.stack_.back();
    if (fr.kind == Frame::kRiskList) {
      risk_item();  // an item that is not an object still counts (with no name)
      return push_skip();
    }
    const Schema::Entry* e = take_pending(fr);
    if (e == nullptr) return push_skip();
    if (Value* v = slot(e->field)) v->SetArray();
    const Frame::Kind kind = e->field == F::kLabels     ? Frame::kLabels
                             : e->field == F::kRiskList ? Frame::kRiskList
                                                        : Frame::kSkip;
    f_.stack_.push_back({kind, -1, 0, nullptr});
    return true;
  }
  bool EndArray(SizeType) {
    f_.stack_.pop_back();
    return true;
  }

 private:
  bool push_skip() {
    f_.stack_.push_back({});
    return true;
  }
  static const Schema::Entry* take_pending(RecordFields::Frame& fr) {
    const Schema::Entry* e = fr.pending;
    fr.pending = nullptr;
    return e;
  }
  // A new risk list item, unless the list is full (items past it are not read).
  bool risk_item() {
    if (f_.risks_.size() >= RecordFields::kMaxRisks) return false;
    f_.risks_.emplace_back();
    return true;
  }
  // Where a field's value goes (marked present), or nullptr when it is not kept.
  Value* slot(int field) {
    if (field >= 0) {
      f_.present_[static_cast<size_t>(field)] = true;
      return &f_.values_[static_cast<size_t>(field)];
    }
    if (field == kNoField || f_.risks_.empty()) return nullptr;
    RecordFields::Risk& r = f_.risks_.back();
    switch (field) {
      case kRiskName:
        r.has_name = true;
        return &r.name;
      case kRiskId:
        r.has_id = true;
        return &r.id;
      case kRiskSeverity:
        r.has_severity = true;
        return &r.severity;
      default:
        return nullptr;
    }
  }
  template <class Set>
  bool scalar(Set set) {
    using Frame = RecordFields::Frame;
    if (f_.stack_.empty()) return true;  // a scalar document: not an object
    Frame& fr = f_.stack_.back();
    if (fr.kind == Frame::kRiskList) {
      risk_item();
      return true;
    }
    if (const Schema::Entry* e = take_pending(fr))
      if (Value* v = slot(e->field)) set(*v);
    return true;
  }

  RecordFields& f_;
  const Schema& s_;
  bool root_object_ = false;
};

// The common shape of a record, read without RapidJSON: strings without escapes or control characters,
// integers of at most 18 digits, no deeper than kMaxDepth. Anything else (and anything malformed) makes
// run() return false, and the record goes to RapidJSON, which then decides; so this never accepts a text
// RapidJSON would reject, and gives the handler the same calls RapidJSON would. Reads the text only (in
// blocks of 16 or 8 bytes: the caller's padding covers the reads past the NUL); the text must be UTF-8.
class CompactScanner {
 public:
  CompactScanner(const char* text, RecordCapture& h) : p_(text), h_(h) {}

  bool run() {
    ws();
    if (*p_ != '{' || !value(0)) return false;
    ws();
    return *p_ == '\0';
  }

 private:
  static constexpr int kMaxDepth = 64;
  static constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;

  static uint64_t zero_bytes(uint64_t w) noexcept { return (w - kOnes) & ~w & kHigh; }
  // The lowest marked byte is the first '"', '\\' or control character of the word (the markers above
  // the first may be wrong: borrows carry upwards).
  static uint64_t special_bytes(uint64_t w) noexcept {
    return zero_bytes(w ^ (kOnes * '"')) | zero_bytes(w ^ (kOnes * '\\')) | ((w - kOnes * 0x20) & ~w & kHigh);
  }

  void ws() noexcept {
    while (static_cast<unsigned char>(*p_) <= ' ' &&
           (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
      ++p_;
  }
  // At the opening quote: the string's characters, up to its closing quote.
  bool string(const char*& s, SizeType& len) noexcept {
    const char* q = ++p_;
#if defined(__SSE2__)
    // 16 bytes at a time: the first '"', '\\' or byte <= 0x1f.
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1f);
    for (;; q += 16) {
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, backslash)),
                                       _mm_cmpeq_epi8(_mm_max_epu8(b, control), control));
      if (const int m = _mm_movemask_epi8(hit); m != 0) {
        q += std::countr_zero(static_cast<unsigned>(m));
        break;
      }
    }
#else
    if constexpr (std::endian::native != std::endian::little) {
      while (*q != '"' && *q != '\\' && static_cast<unsigned char>(*q) >= 0x20) ++q;
    } else {
      for (;; q += 8) {
        uint64_t w;
        std::memcpy(&w, q, sizeof w);
        if (const uint64_t m = special_bytes(w); m != 0) {
          q += std::countr_zero(m) / 8;
          break;
        }
      }
    }
#endif
    if (*q != '"') return false;  // an escape or a control character: RapidJSON's to judge
    s = p_;
    len = static_cast<SizeType>(q - p_);
    p_ = q + 1;
    return true;
  }
  bool number() {
    const char* q = p_;
    const bool minus = *q == '-';
    if (minus) ++q;
    if (*q < '0' || *q > '9') return false;
    uint64_t v = 0;
    if (*q == '0') {
      ++q;
    } else {
      for (int digits = 0; *q >= '0' && *q <= '9'; ++q) {
        if (++digits > 18) return false;
        v = v * 10 + static_cast<uint64_t>(*q - '0');
      }
    }
    if ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E') return false;
    p_ = q;
    // RapidJSON's choice of call: 32 bits when the value fits them.
    if (minus)
      return v <= 2147483648u ? h_.Int(static_cast<int>(-static_cast<int64_t>(v)))
                              : h_.Int64(-static_cast<int64_t>(v));
    return v <= 4294967295u ? h_.Uint(static_cast<unsigned>(v)) : h_.Uint64(v);
  }
  bool literal(std::string_view word) {
    if (std::memcmp(p_, word.data(), word.size()) != 0) return false;
    p_ += word.size();
    return true;
  }
  bool value(int depth) {
    switch (*p_) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"': {
        const char* s;
        SizeType len;
        return string(s, len) && h_.String(s, len, false);
      }
      case 't':
        return literal("true") && h_.Bool(true);
      case 'f':
        return literal("false") && h_.Bool(false);
      case 'n':
        return literal("null") && h_.Null();
      default:
        return number();
    }
  }
  bool object(int depth) {
    if (depth >= kMaxDepth) return false;
    ++p_;
    h_.StartObject();
    ws();
    SizeType members = 0;
    if (*p_ != '}') {
      for (;;) {
        const char* s;
        SizeType len;
        if (*p_ != '"' || !string(s, len)) return false;
        h_.Key(s, len, false);
        ws();
        if (*p_ != ':') return false;
        ++p_;
        ws();
        if (!value(depth + 1)) return false;
        ++members;
        ws();
        if (*p_ == '}') break;
        if (*p_ != ',') return false;
        ++p_;
        ws();
      }
    }
    ++p_;
    return h_.EndObject(members);
  }
  bool array(int depth) {
    if (depth >= kMaxDepth) return false;
    ++p_;
    h_.StartArray();
    ws();
    SizeType elements = 0;
    if (*p_ != ']') {
      for (;;) {
        if (!value(depth + 1)) return false;
        ++elements;
        ws();
        if (*p_ == ']') break;
        if (*p_ != ',') return false;
        ++p_;
        ws();
      }
    }
    ++p_;
    return h_.EndArray(elements);
  }

  const char* p_;
  RecordCapture& h_;
};

RecordFields::RecordFields() {
  stack_.reserve(64);
}
RecordFields::~RecordFields() = default;

void RecordFields::clear() noexcept {
  present_.fill(false);
  labels_.clear();
  risks_.clear();
  stack_.clear();
}

bool RecordFields::parse(char* text) {
  clear();
  {
    RecordCapture capture(*this);
    if (CompactScanner(text, capture).run()) return true;
  }
  clear();
  RecordCapture capture(*this);
  rapidjson::Reader reader;
  rapidjson::InsituStringStream in(text);
  const rapidjson::ParseResult ok = reader.Parse<rapidjson::kParseInsituFlag>(in, capture);
  return !ok.IsError() && capture.root_is_object();
}

}  // namespace spanwatch::viewer
