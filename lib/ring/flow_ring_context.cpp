// The flow ring's context area: a plain length-prefixed encoding, written and read once per ring.
#include "lib/ring/flow_ring_context.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

namespace spanwatch::lib {
namespace {

constexpr uint32_t kContextFormat = 1;

void put_u32(std::string& out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}
void put_u16(std::string& out, uint16_t v) {
  char b[2];
  std::memcpy(b, &v, 2);
  out.append(b, 2);
}
void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}
void put_list(std::string& out, const std::vector<std::string>& v) {
  put_u32(out, static_cast<uint32_t>(v.size()));
  for (const std::string& s : v) put_str(out, s);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <class T>
  T num() {
    T v{};
    if (in_.size() < sizeof v) {
      fail();
      return v;
    }
    std::memcpy(&v, in_.data(), sizeof v);
    in_.remove_prefix(sizeof v);
    return v;
  }
  std::string_view str() {
    const uint32_t n = num<uint32_t>();
    if (in_.size() < n) {
      fail();
      return {};
    }
    const std::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  std::vector<std::string> list() {
    const uint32_t n = num<uint32_t>();
    std::vector<std::string> v;
    // Every string takes at least its 4 length bytes: a count beyond that is corrupt (and no huge reserve).
    if (n > in_.size() / 4) {
      fail();
      return v;
    }
    v.reserve(n);
    for (uint32_t i = 0; i < n && ok_; ++i) v.emplace_back(str());
    return v;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }

 private:
  void fail() {
    ok_ = false;
    in_ = {};
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string encode_flow_context(const JsonFlowContext& ctx) {
  std::string out;
  put_u32(out, kContextFormat);
  put_str(out, ctx.observer_hostname);
  put_str(out, ctx.observer_name);
  put_list(out, ctx.port_names);
  put_str(out, ctx.ecs_version);
  put_u16(out, ctx.community_id_seed);
  for (const RiskInfo& r : ctx.risks) {
    put_str(out, r.name);
    put_str(out, r.severity);
    put_u16(out, r.score);
  }
  put_list(out, ctx.l7_names.protocols);
  put_list(out, ctx.l7_names.categories);
  put_list(out, ctx.l7_names.breeds);
  put_list(out, ctx.l7_names.confidences);
  return out;
}

std::optional<JsonFlowContext> decode_flow_context(std::string_view bytes) {
  Reader in(bytes);
  if (in.num<uint32_t>() != kContextFormat) return std::nullopt;
  JsonFlowContext ctx;
  ctx.observer_hostname = in.str();
  ctx.observer_name = in.str();
  ctx.port_names = in.list();
  ctx.ecs_version = in.str();
  ctx.community_id_seed = in.num<uint16_t>();
  for (RiskInfo& r : ctx.risks) {
    r.name = in.str();
    r.severity = in.str();
    r.score = in.num<uint16_t>();
  }
  ctx.l7_names.protocols = in.list();
  ctx.l7_names.categories = in.list();
  ctx.l7_names.breeds = in.list();
  ctx.l7_names.confidences = in.list();
  if (!in.ok() || !in.at_end()) return std::nullopt;
  // The writer copies risk names and severities as they are (nDPI's ASCII constants): refuse anything else.
  for (const RiskInfo& r : ctx.risks)
    if (!is_plain_json_text(r.name) || !is_plain_json_text(r.severity)) return std::nullopt;
  return ctx;
}

}  // namespace spanwatch::lib
