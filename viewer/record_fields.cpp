// RecordFields: a RapidJSON SAX handler walking a small tree of the member names the viewer reads; every
// other member is tokenised and skipped. Values are kept as rapidjson::Value (numbers by value, strings as
// references into the text), so the summary code asks the same type questions as of a parsed document.
//
// RapidJSON's SIMD string scan (RAPIDJSON_SSE2) is not used: it lets control characters 0x1a-0x1f through
// inside strings (its "less than 0x20" test is "at most 0x19"), which the plain parser rejects.
#include "viewer/record_fields.hpp"

#include <rapidjson/reader.h>

#include <algorithm>
#include <bit>

#include "lib/export/field_names.hpp"
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
  // The node of the object at a dotted path, made on first use; the path's last component is returned
  // in key. A member that is both a field and an object (tls) keeps both.
  int parent_of(std::string_view path, std::string_view& key) {
    int n = root;
    for (size_t dot; (dot = path.find('.')) != std::string_view::npos; path.remove_prefix(dot + 1)) {
      const std::string_view part = path.substr(0, dot);
      const std::vector<Entry>& entries = nodes[static_cast<size_t>(n)].entries;
      const size_t i = static_cast<size_t>(
          std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == part; }) -
          entries.begin());
      if (i == entries.size()) {
        const int c = node();  // node() may move nodes: no reference into them is held across it
        add(n, {part, kNoField, c});
        n = c;
        continue;
      }
      if (nodes[static_cast<size_t>(n)].entries[i].child < 0) {
        const int c = node();
        nodes[static_cast<size_t>(n)].entries[i].child = c;
      }
      n = nodes[static_cast<size_t>(n)].entries[i].child;
    }
    key = path;
    return n;
  }
  // A record field by its name in lib/export/field_names.hpp, the one source of the record's names.
  void field(const lib::JsonField& f, int index) {
    std::string_view key;
    const int n = parent_of(f.path, key);
    Node& node = nodes[static_cast<size_t>(n)];
    for (Entry& e : node.entries)
      if (e.key == key) {
        e.field = index;
        return;
      }
    add(n, {key, index, -1});
  }
  void endpoint(int base, const std::array<lib::JsonField, E::kCount>& f) {
    for (size_t i = 0; i < f.size(); ++i) field(f[i], base + static_cast<int>(i));
  }

  Schema() {
    namespace fn = lib::field;
    root = node();
    field(fn::kTimestamp, F::kTimestamp);
    field(fn::kEventStart, F::kEventStart);
    field(fn::kEventEnd, F::kEventEnd);
    field(fn::kEventDuration, F::kEventDuration);
    field(fn::kEventReason, F::kEventReason);
    field(fn::kEventRiskScore, F::kEventRiskScore);
    field(fn::kObserverName, F::kObserverName);
    field(fn::kNetworkTransport, F::kNetTransport);
    field(fn::kNetworkIanaNumber, F::kNetIana);
    field(fn::kNetworkProtocol, F::kNetProtocol);
    field(fn::kNetworkApplication, F::kNetApplication);
    field(fn::kNetworkVlanId, F::kNetVlanId);
    field(fn::kTls, F::kTls);
    field(fn::kTlsClientServerName, F::kTlsServerName);
    field(fn::kDnsQuestionName, F::kDnsQuestionName);
    field(fn::kUrlDomain, F::kUrlDomain);
    field(fn::kUrlOriginal, F::kUrlOriginal);
    field(fn::kFlowId, F::kFlowId);
    field(fn::kFlowFinal, F::kFlowFinal);
    field(fn::kFlowSequence, F::kFlowSequence);
    field(fn::kFlowConnState, F::kFlowConnState);
    field(fn::kFlowHistory, F::kFlowHistory);
    field(fn::kL7Proto, F::kL7Proto);
    field(fn::kL7Category, F::kL7Category);
    field(fn::kL7Breed, F::kL7Breed);
    field(fn::kL7Encrypted, F::kL7Encrypted);
    field(fn::kL7Info, F::kL7Info);
    field(fn::kSrcPayloadBytes, F::kSrcPayloadBytes);
    field(fn::kTcpConnState, F::kTcpConnState);
    field(fn::kTcpConnStateMajor, F::kTcpConnStateMajor);
    field(fn::kTcpHistory, F::kTcpHistory);
    field(fn::kTcpFlags, F::kTcpFlags);
    field(fn::kTcpFlagsTs, F::kTcpFlagsTs);
    field(fn::kTcpFlagsTc, F::kTcpFlagsTc);
    field(fn::kRiskScore, F::kRiskScore);
    field(fn::kRiskList, F::kRiskList);
    field(fn::kLabels, F::kLabels);
    field(fn::kSwSshClientSoftware, F::kSshClientSoftware);
    field(fn::kSwDhcpHostname, F::kDhcpHostname);
    // In EndpointField's order.
    endpoint(F::kSrc, {fn::kSourceIp, fn::kSourcePort, fn::kSourceBytes, fn::kSourcePackets, fn::kSourceMac,
                       fn::kSourceDomain, fn::kSourceGeoCountryIsoCode, fn::kSourceGeoCountryName,
                       fn::kSourceGeoCityName, fn::kSourceAsNumber, fn::kSourceAsOrganizationName,
                       fn::kSrcMacVendor, fn::kSrcService, fn::kSrcHostname, fn::kSrcAsClass});
    endpoint(static_cast<int>(kDstFields),
             {fn::kDestinationIp, fn::kDestinationPort, fn::kDestinationBytes, fn::kDestinationPackets,
              fn::kDestinationMac, fn::kDestinationDomain, fn::kDestinationGeoCountryIsoCode,
              fn::kDestinationGeoCountryName, fn::kDestinationGeoCityName, fn::kDestinationAsNumber,
              fn::kDestinationAsOrganizationName, fn::kDstMacVendor, fn::kDstService, fn::kDstHostname,
              fn::kDstAsClass});
    risk_item = node();  // the items of spanwatch.risk.list
    add(risk_item, {fn::kRiskListName.key, kRiskName, -1});
    add(risk_item, {fn::kRiskListId.key, kRiskId, -1});
    add(risk_item, {fn::kRiskListSeverity.key, kRiskSeverity, -1});
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
