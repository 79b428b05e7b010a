// Compiling a RuleSet (Hyperscan databases, a domain-suffix hash table, a CIDR table); matching one record.
#include "lib/enrich/rule_matcher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include "lib/enrich/cidr_table.hpp"
#include "lib/enrich/domain_suffix_table.hpp"

namespace spanwatch::lib {
namespace {

using HsCompileError = std::unique_ptr<hs_compile_error_t, CFree<hs_free_compile_error>>;

// A literal as a Hyperscan expression: letters and digits as they are, every other byte as \xHH.
std::string literal_to_regex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 4);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out += ch;
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

std::string shown_pattern(std::string_view p) {
  std::string out;
  for (char ch : p.substr(0, 80)) {
    const auto c = static_cast<unsigned char>(ch);
    out += c < 0x20 || c >= 0x7f ? fmt::format("\\x{:02x}", c) : std::string(1, ch);
  }
  return p.size() > 80 ? out + "..." : out;
}

std::string_view host_without_port(std::string_view host) noexcept {
  const size_t colon = host.rfind(':');
  if (colon == std::string_view::npos || host.find(':') != colon) return host;  // none, or bare IPv6
  const std::string_view port = host.substr(colon + 1);
  if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return host;
  return host.substr(0, colon);
}

}  // namespace

struct CompiledRules {
  struct RuleInfo {
    uint32_t id;
    std::string name;
    RuleSeverity severity;
  };
  std::vector<RuleInfo> rules;
  std::array<HsDatabase, kRuleTextFieldCount> databases;
  size_t database_bytes = 0;
  std::vector<std::vector<uint32_t>> sets;  // rule-index sets, shared by domains and prefixes
  DomainSuffixTable domains;
  CidrTable<uint32_t> networks;  // prefix -> set (of the prefix and every listed prefix holding it)
};

namespace {

struct SetInterner {
  std::vector<std::vector<uint32_t>>& sets;
  std::map<std::vector<uint32_t>, uint32_t> known;
  uint32_t operator()(const std::vector<uint32_t>& s) {
    auto [it, fresh] = known.emplace(s, static_cast<uint32_t>(sets.size()));
    if (fresh) sets.push_back(s);
    return it->second;
  }
};

void add_sorted_unique(std::vector<uint32_t>& v, uint32_t x) {
  const auto at = std::lower_bound(v.begin(), v.end(), x);
  if (at == v.end() || *at != x) v.insert(at, x);
}

void compile_field(const RuleSet& rs, RuleField field, CompiledRules& c) {
  std::vector<std::string> exprs;
  std::vector<unsigned> flags, ids;
  for (uint32_t i = 0; i < rs.rules.size(); ++i) {
    const Rule& r = rs.rules[i];
    if ((r.kind != RuleKind::kLiteral && r.kind != RuleKind::kRegex) || !(r.fields & rule_field_bit(field)))
      continue;
    exprs.push_back(r.kind == RuleKind::kLiteral ? literal_to_regex(r.pattern) : r.pattern);
    unsigned f = HS_FLAG_SINGLEMATCH;
    if (r.nocase) f |= HS_FLAG_CASELESS;
    if (field == RuleField::kCertSan) f |= HS_FLAG_MULTILINE;  // one SAN per line
    flags.push_back(f);
    ids.push_back(i);
  }
  if (exprs.empty()) return;
  std::vector<const char*> ptrs;
  for (const std::string& e : exprs) ptrs.push_back(e.c_str());
  hs_database_t* db = nullptr;
  hs_compile_error_t* raw_err = nullptr;
  const hs_error_t rc =
      hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(ptrs.size()),
                       HS_MODE_BLOCK, nullptr, &db, &raw_err);
  HsCompileError err(raw_err);
  if (rc != HS_SUCCESS) {
    const std::string why = err && err->message ? err->message : fmt::format("error {}", rc);
    if (err && err->expression >= 0 && static_cast<size_t>(err->expression) < ids.size()) {
      const Rule& r = rs.rules[ids[static_cast<size_t>(err->expression)]];
      throw std::runtime_error(
          fmt::format("{}:{}: rule {} ({}): field {}: Hyperscan rejected the {} \"{}\": {}", rs.path, r.line,
                      r.id, r.name, rule_field_name(field),
                      r.kind == RuleKind::kLiteral ? "literal" : "regex", shown_pattern(r.pattern), why));
    }
    throw std::runtime_error(fmt::format("{}: field {}: Hyperscan could not compile its {} patterns: {}",
                                         rs.path, rule_field_name(field), exprs.size(), why));
  }
  c.databases[static_cast<size_t>(field)].reset(db);
  size_t bytes = 0;
  if (hs_database_size(db, &bytes) == HS_SUCCESS) c.database_bytes += bytes;
}

std::shared_ptr<const CompiledRules> compile(const RuleSet& rs) {
  if (hs_valid_platform() != HS_SUCCESS) {
    throw std::runtime_error(fmt::format("{}: Hyperscan cannot run on this CPU (it needs SSSE3)", rs.path));
  }
  auto c = std::make_shared<CompiledRules>();
  for (const Rule& r : rs.rules) c->rules.push_back({r.id, r.name, r.severity});
  for (size_t f = 0; f < kRuleTextFieldCount; ++f) compile_field(rs, static_cast<RuleField>(f), *c);

  SetInterner intern{c->sets, {}};
  std::map<std::string, std::vector<uint32_t>> domain_rules;
  // Ordered by (network, prefix length): a prefix comes before every prefix it holds (per family).
  std::map<std::pair<IpAddress, uint8_t>, std::vector<uint32_t>> net_rules;
  for (uint32_t i = 0; i < rs.rules.size(); ++i) {
    for (const std::string& d : rs.rules[i].domains) add_sorted_unique(domain_rules[d], i);
    for (const Cidr& n : rs.rules[i].networks)
      add_sorted_unique(net_rules[{n.network, n.mapped_prefix_len()}], i);
  }
  std::map<std::string, uint32_t> domain_sets;
  for (const auto& [d, rules] : domain_rules) domain_sets.emplace(d, intern(rules));
  c->domains.build(domain_sets);

  // The table answers with the longest prefix only, so each prefix carries the rules of every listed prefix
  // holding it (10.1.0.0/16 in one list inside 10.0.0.0/8 in another: 10.1.2.3 is in both).
  for (const bool v4 : {true, false}) {
    std::vector<std::pair<Cidr, std::vector<uint32_t>>>
        open;  // the chain of prefixes holding the current one
    for (const auto& [key, rules] : net_rules) {
      if (key.first.is_v4() != v4) continue;
      Cidr net;
      net.network = key.first;
      net.prefix_len = static_cast<uint8_t>(v4 ? key.second - kIpv4MappedPrefix : key.second);
      while (!open.empty() && !cidr_contains(open.back().first, net.network)) open.pop_back();
      std::vector<uint32_t> all = rules;
      if (!open.empty()) {
        for (uint32_t r : open.back().second) add_sorted_unique(all, r);
      }
      c->networks.insert(net, intern(all));
      open.emplace_back(net, std::move(all));
    }
  }
  c->networks.build();
  return c;
}

struct MatchSink {
  const CompiledRules& c;
  std::vector<uint32_t>& seen;
  uint32_t stamp;
  std::span<RuleMatch> out;
  size_t written = 0;
  uint64_t found = 0;
  RuleField field = RuleField::kSni;

  void report(uint32_t rule_index) noexcept {
    if (rule_index >= seen.size() || seen[rule_index] == stamp) return;
    seen[rule_index] = stamp;
    ++found;
    if (written < out.size()) {
      const CompiledRules::RuleInfo& r = c.rules[rule_index];
      out[written++] = RuleMatch{rule_index, r.id, r.name, r.severity, field};
    }
  }
  void report_set(uint32_t set) noexcept {
    for (uint32_t r : c.sets[set]) report(r);
  }
};

int on_hs_match(unsigned id, unsigned long long /*from*/, unsigned long long /*to*/, unsigned /*flags*/,
                void* ctx) {
  static_cast<MatchSink*>(ctx)->report(id);
  return 0;  // go on: other patterns may match too
}

}  // namespace

RuleMatcher::RuleMatcher(const RuleSet& rules) : RuleMatcher(compile(rules), nullptr) {}

RuleMatcher::RuleMatcher(std::shared_ptr<const CompiledRules> compiled, const hs_scratch_t* prototype)
    : compiled_(std::move(compiled)),
      counters_(std::make_unique<RuleMatcherCounters>()),
      seen_(compiled_->rules.size(), 0),
      san_buf_(std::make_unique<std::array<char, kRuleCertSanJoinMax>>()) {
  if (prototype) {
    hs_scratch_t* s = nullptr;
    const hs_error_t rc = hs_clone_scratch(prototype, &s);
    scratch_.reset(s);
    if (rc != HS_SUCCESS)
      throw std::runtime_error(fmt::format("Hyperscan scratch clone failed: error {}", rc));
    return;
  }
  for (const HsDatabase& db : compiled_->databases) {
    if (!db) continue;
    hs_scratch_t* s = scratch_.release();  // hs_alloc_scratch grows an existing scratch to fit `db` too
    const hs_error_t rc = hs_alloc_scratch(db.get(), &s);
    scratch_.reset(s);
    if (rc != HS_SUCCESS)
      throw std::runtime_error(fmt::format("Hyperscan scratch allocation failed: error {}", rc));
  }
}

RuleMatcher::RuleMatcher(RuleMatcher&&) noexcept = default;
RuleMatcher& RuleMatcher::operator=(RuleMatcher&&) noexcept = default;
RuleMatcher::~RuleMatcher() = default;

RuleMatcher RuleMatcher::clone_for_thread() const {
  return RuleMatcher(compiled_, scratch_.get());
}

size_t RuleMatcher::rule_count() const noexcept {
  return compiled_->rules.size();
}
size_t RuleMatcher::domain_count() const noexcept {
  return compiled_->domains.size();
}
size_t RuleMatcher::network_count() const noexcept {
  return compiled_->networks.size();
}
size_t RuleMatcher::database_bytes() const noexcept {
  return compiled_->database_bytes;
}

size_t RuleMatcher::match(const RuleMatchInput& in, std::span<RuleMatch> out) noexcept {
  const CompiledRules& c = *compiled_;
  if (++stamp_ == 0) {  // wrapped after 2^32 records: forget every old stamp
    std::fill(seen_.begin(), seen_.end(), 0);
    stamp_ = 1;
  }
  MatchSink sink{c, seen_, stamp_, out};
  uint64_t errors = 0;
  auto scan = [&](RuleField f, std::string_view data) {
    const HsDatabase& db = c.databases[static_cast<size_t>(f)];
    if (!db || data.empty()) return;
    sink.field = f;
    const hs_error_t rc = hs_scan(db.get(), data.data(), static_cast<unsigned>(data.size()), 0,
                                  scratch_.get(), on_hs_match, &sink);
    if (rc != HS_SUCCESS) ++errors;
  };
  auto domains = [&](RuleField f, std::string_view name) {
    if (name.empty()) return;
    sink.field = f;
    c.domains.for_each_match(name, [&](uint32_t set) { sink.report_set(set); });
  };
  auto payload = [](std::string_view p) { return p.substr(0, kRulePayloadPrefixMax); };

  scan(RuleField::kSni, in.sni);
  domains(RuleField::kSni, in.sni);
  scan(RuleField::kHttpHost, in.http_host);
  domains(RuleField::kHttpHost, host_without_port(in.http_host));
  scan(RuleField::kUrl, in.url);
  scan(RuleField::kUserAgent, in.user_agent);
  scan(RuleField::kDnsQuery, in.dns_query);
  domains(RuleField::kDnsQuery, in.dns_query);
  scan(RuleField::kCertSubject, in.cert_subject);
  scan(RuleField::kCertIssuer, in.cert_issuer);
  if (!in.cert_san.empty()) {
    if (c.databases[static_cast<size_t>(RuleField::kCertSan)]) {
      std::array<char, kRuleCertSanJoinMax>& buf = *san_buf_;
      size_t len = 0;
      for (std::string_view name : in.cert_san) {
        if (len + name.size() + (len ? 1 : 0) > buf.size()) break;
        if (len) buf[len++] = '\n';
        std::copy(name.begin(), name.end(), buf.begin() + static_cast<std::ptrdiff_t>(len));
        len += name.size();
      }
      scan(RuleField::kCertSan, std::string_view(buf.data(), len));
    }
    for (std::string_view name : in.cert_san) domains(RuleField::kCertSan, name);
  }
  scan(RuleField::kPayloadOrig, payload(in.payload_orig));
  scan(RuleField::kPayloadResp, payload(in.payload_resp));
  if (!c.networks.empty()) {
    if (in.src_ip) {
      sink.field = RuleField::kSrcIp;
      if (const uint32_t* set = c.networks.lookup(*in.src_ip)) sink.report_set(*set);
    }
    if (in.dst_ip) {
      sink.field = RuleField::kDstIp;
      if (const uint32_t* set = c.networks.lookup(*in.dst_ip)) sink.report_set(*set);
    }
  }

  RuleMatcherCounters& k = *counters_;
  k.records.add(1);
  if (sink.found) k.matches.add(sink.found);
  if (sink.found > sink.written) k.dropped.add(sink.found - sink.written);
  if (errors) k.scan_errors.add(errors);
  return sink.written;
}

}  // namespace spanwatch::lib
