// Tests for the flow record's JSON Schema: it follows the field table, records written by JsonFlowWriter
// validate against it (RapidJSON's SchemaValidator), and unknown keys, wrong types and missing required
// fields are rejected. RapidJSON 1.1 ignores "format", so formats are checked here by hand.
#include "lib/export/json_schema.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include <array>
#include <string>
#include <vector>

#include "lib/export/field_names.hpp"
#include "lib/export/json_flow_writer.hpp"
#include "lib/export/test_records.hpp"

namespace spanwatch::lib {
namespace {

using rapidjson::Document;
using rapidjson::Value;

Document parse(const std::string& text) {
  Document d;
  d.Parse(text.c_str(), text.size());
  EXPECT_FALSE(d.HasParseError()) << rapidjson::GetParseError_En(d.GetParseError()) << "\n" << text;
  return d;
}

std::string write_line(const FlowRecord& r) {
  JsonFlowWriter w(full_context());
  rapidjson::StringBuffer buf;
  w.write(r, buf);
  std::string line(buf.GetString(), buf.GetSize());
  EXPECT_EQ(line.back(), '\n');
  line.pop_back();
  return line;
}

// Validates one record; on failure says where and which keyword refused it.
class Validator {
 public:
  Validator() : schema_doc_(flow_record_schema()), schema_(schema_doc_) {}

  std::string errors(const Value& record) {
    rapidjson::SchemaValidator v(schema_);
    if (record.Accept(v)) return {};
    rapidjson::StringBuffer sp, dp;
    v.GetInvalidSchemaPointer().StringifyUriFragment(sp);
    v.GetInvalidDocumentPointer().StringifyUriFragment(dp);
    return std::string("keyword '") + v.GetInvalidSchemaKeyword() + "' at schema " + sp.GetString() +
           ", document " + dp.GetString();
  }

 private:
  Document schema_doc_;
  rapidjson::SchemaDocument schema_;
};

// Value at a dotted path (objects only), or nullptr.
Value* at(Value& root, std::string_view path) {
  Value* v = &root;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string part(path.substr(0, dot));
    if (!v->IsObject()) return nullptr;
    const auto it = v->FindMember(part.c_str());
    if (it == v->MemberEnd()) return nullptr;
    v = &it->value;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return v;
}

// The schema node of a dotted path (through "properties", and "items" for arrays of objects).
const Value* schema_at(const Value& schema, std::string_view path) {
  const Value* s = &schema;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string part(path.substr(0, dot));
    if (s->HasMember("items") && (*s)["items"].IsObject() && (*s)["items"].HasMember("properties"))
      s = &(*s)["items"];
    if (!s->HasMember("properties") || !(*s)["properties"].HasMember(part.c_str())) return nullptr;
    s = &(*s)["properties"][part.c_str()];
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return s;
}

std::vector<FlowRecord> all_samples() {
  std::vector<FlowRecord> v = sample_records();
  FlowRecord udp6 = tcp_record();  // IPv6, no MACs, no VLANs, no ports of a portless protocol
  udp6.l4_proto = 17;
  udp6.ip_version = 6;
  udp6.src_ip = v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  udp6.dst_ip = v6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55});
  udp6.dir[0].has_mac = udp6.dir[1].has_mac = false;
  udp6.vlan_count = 0;
  v.push_back(udp6);
  FlowRecord bare = tcp_record();  // everything optional left out
  bare.l4_proto = 47;
  bare.first_ns = bare.last_ns = 0;
  bare.vlan_count = 0;
  bare.dir[0] = bare.dir[1] = DirStats{};
  bare.history_len = 0;
  bare.conn_state = ConnState{};
  bare.port_id = 200;  // no name for it
  bare.final = false;
  bare.sequence = 7;
  v.push_back(bare);
  return v;
}

bool is_ip(const Value& v) {
  if (!v.IsString()) return false;
  std::array<unsigned char, 16> buf;
  return inet_pton(AF_INET, v.GetString(), buf.data()) == 1 ||
         inet_pton(AF_INET6, v.GetString(), buf.data()) == 1;
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
// RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). (No std::regex: GCC 12 warns inside it
// under the sanitizers.)
bool is_date_time(const Value& v) {
  if (!v.IsString()) return false;
  const std::string_view s(v.GetString(), v.GetStringLength());
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";  // d = digit
  if (s.size() < kShape.size() + 1) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == 'd' ? !is_digit(s[i]) : s[i] != kShape[i]) return false;
  }
  size_t i = kShape.size();
  if (s[i] == '.') {
    const size_t digits = s.find_first_not_of("0123456789", i + 1);
    if (digits == std::string_view::npos || digits == i + 1) return false;
    i = digits;
  }
  const std::string_view zone = s.substr(i);
  if (zone == "Z") return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && is_digit(zone[1]) && is_digit(zone[2]) &&
         zone[3] == ':' && is_digit(zone[4]) && is_digit(zone[5]);
}

TEST(JsonSchema, FormatHelpers) {  // the checks that stand in for "format" below
  for (const char* ok : {"2026-01-05T10:00:41.123456Z", "2026-01-05T10:00:41Z", "2026-01-05T10:00:41+01:00"})
    EXPECT_TRUE(is_date_time(Value(rapidjson::StringRef(ok)))) << ok;
  for (const char* bad :
       {"2026-01-05 10:00:41Z", "2026-01-05T10:00:41", "2026-01-05T10:00:41.Z", "1767607241"})
    EXPECT_FALSE(is_date_time(Value(rapidjson::StringRef(bad)))) << bad;
  EXPECT_TRUE(is_ip(Value("192.0.2.7")));
  EXPECT_TRUE(is_ip(Value("2001:db8::1")));
  EXPECT_FALSE(is_ip(Value("192.0.2.256")));
  EXPECT_FALSE(is_ip(Value("w3-000000000042")));
}

TEST(JsonSchema, IsDraft202012WithClosedObjects) {
  const Document s = flow_record_schema();
  ASSERT_TRUE(s.IsObject());
  EXPECT_STREQ(s["$schema"].GetString(), "https://json-schema.org/draft/2020-12/schema");
  EXPECT_STREQ(s["type"].GetString(), "object");
  EXPECT_FALSE(s["additionalProperties"].GetBool());
  // The text forms are the same document.
  EXPECT_TRUE(parse(flow_record_schema_json(true)) == s);
  EXPECT_TRUE(parse(flow_record_schema_json(false)) == s);
  EXPECT_EQ(flow_record_schema_json(false).find('\n'), std::string::npos);
}

TEST(JsonSchema, FollowsTheFieldTable) {
  const Document s = flow_record_schema();
  for (const JsonField& f : kAllJsonFields) {
    const Value* n = schema_at(s, f.path);
    ASSERT_NE(n, nullptr) << f.path;
    const std::string type = (*n)["type"].GetString();
    switch (f.type) {
      case JsonType::kObject:
        EXPECT_EQ(type, "object") << f.path;
        EXPECT_FALSE((*n)["additionalProperties"].GetBool()) << f.path;
        break;
      case JsonType::kString:
        EXPECT_EQ(type, "string") << f.path;
        break;
      case JsonType::kInteger:
        EXPECT_EQ(type, "integer") << f.path;
        EXPECT_EQ((*n)["minimum"].GetInt(), 0) << f.path;
        break;
      case JsonType::kNumber:
        EXPECT_EQ(type, "number") << f.path;
        break;
      case JsonType::kBool:
        EXPECT_EQ(type, "boolean") << f.path;
        break;
      case JsonType::kStringArray:
        EXPECT_EQ(type, "array") << f.path;
        EXPECT_STREQ((*n)["items"]["type"].GetString(), "string") << f.path;
        break;
      case JsonType::kObjectArray:
        EXPECT_EQ(type, "array") << f.path;
        EXPECT_STREQ((*n)["items"]["type"].GetString(), "object") << f.path;
        EXPECT_FALSE((*n)["items"]["additionalProperties"].GetBool()) << f.path;
        break;
    }
    // Anything named like an address carries the IP format (catches a new *_ip field without one).
    if (f.key == "ip" || f.key.ends_with("_ip")) {
      EXPECT_EQ(json_format(f.path), JsonFormat::kIp) << f.path;
    }
  }
}

TEST(JsonSchema, RequiresTheAlwaysWrittenFieldsAndTheirObjects) {
  const Document s = flow_record_schema();
  auto required_in = [&](std::string_view path) {
    const size_t dot = path.rfind('.');
    const Value* parent = dot == std::string_view::npos ? &s : schema_at(s, path.substr(0, dot));
    const std::string key(dot == std::string_view::npos ? path : path.substr(dot + 1));
    if (parent == nullptr || !parent->HasMember("required")) return false;
    for (const auto& r : (*parent)["required"].GetArray())
      if (key == r.GetString()) return true;
    return false;
  };
  for (const std::string_view p : always_present_fields()) {
    EXPECT_TRUE(required_in(p)) << p;
    for (size_t dot = p.find('.'); dot != std::string_view::npos; dot = p.find('.', dot + 1))
      EXPECT_TRUE(required_in(p.substr(0, dot))) << p.substr(0, dot);
  }
  EXPECT_FALSE(required_in("observer"));
  EXPECT_FALSE(required_in("event.start"));
  EXPECT_FALSE(required_in("source.port"));
  EXPECT_FALSE(required_in("tls"));
}

TEST(JsonSchema, WrittenRecordsValidate) {
  Validator v;
  size_t checked = 0;
  for (const FlowRecord& r : all_samples()) {
    const std::string line = write_line(r);
    Document d = parse(line);
    EXPECT_EQ(v.errors(d), "") << line;
    // The formats RapidJSON does not check.
    for (const JsonField& f : kAllJsonFields) {
      const JsonFormat format = json_format(f.path);
      const Value* x = at(d, f.path);
      if (format == JsonFormat::kNone || x == nullptr) continue;
      const auto ok = [&](const Value& e) { return format == JsonFormat::kIp ? is_ip(e) : is_date_time(e); };
      if (x->IsArray()) {
        for (const auto& e : x->GetArray()) EXPECT_TRUE(ok(e)) << f.path << " in " << line;
      } else {
        EXPECT_TRUE(ok(*x)) << f.path << " in " << line;
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, all_samples().size());
}

TEST(JsonSchema, RejectsUnknownKeysWrongTypesAndMissingFields) {
  Validator v;
  const std::string line = write_line(tls_record());
  ASSERT_EQ(v.errors(parse(line)), "");
  struct Case {
    const char* name;
    void (*edit)(Document&);
    const char* keyword;
  };
  const Case cases[] = {
      {"unknown top-level key", [](Document& d) { d.AddMember("bogus", 1, d.GetAllocator()); },
       "additionalProperties"},
      {"unknown nested key",
       [](Document& d) { at(d, "spanwatch.flow")->AddMember("bogus", true, d.GetAllocator()); },
       "additionalProperties"},
      {"unknown key in an array of objects",
       [](Document& d) { (*at(d, "spanwatch.risk.list"))[0].AddMember("bogus", "x", d.GetAllocator()); },
       "additionalProperties"},
      {"integer as string", [](Document& d) { at(d, "source.port")->SetString("443"); }, "type"},
      {"bool as string", [](Document& d) { at(d, "spanwatch.flow.final")->SetString("true"); }, "type"},
      {"negative counter", [](Document& d) { at(d, "network.bytes")->SetInt(-1); }, "minimum"},
      {"fraction", [](Document& d) { at(d, "network.packets")->SetDouble(1.5); }, "type"},
      {"string instead of array", [](Document& d) { at(d, "related.ip")->SetString("1.2.3.4"); }, "type"},
      {"number in a string array", [](Document& d) { (*at(d, "event.type"))[0].SetInt(1); }, "type"},
      {"object instead of string", [](Document& d) { at(d, "tls.client.server_name")->SetObject(); }, "type"},
      {"missing required field", [](Document& d) { at(d, "spanwatch.flow")->RemoveMember("id"); },
       "required"},
      {"missing required object", [](Document& d) { d.RemoveMember("related"); }, "required"},
  };
  for (const Case& c : cases) {
    Document d = parse(line);
    c.edit(d);
    const std::string err = v.errors(d);
    EXPECT_NE(err.find(std::string("'") + c.keyword + "'"), std::string::npos) << c.name << ": " << err;
  }
}

}  // namespace
}  // namespace spanwatch::lib
