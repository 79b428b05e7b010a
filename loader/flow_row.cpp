#include "loader/flow_row.hpp"

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <ctime>

#include "loader/flow_columns.hpp"

namespace spanwatch::loader {
namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  const auto r = std::from_chars(s.data() + pos, s.data() + pos + n, out);
  return r.ec == std::errc() && r.ptr == s.data() + pos + n;
}

uint64_t as_uint(const rapidjson::Value* v) {
  if (v == nullptr) return 0;
  if (v->IsBool()) return v->GetBool() ? 1 : 0;
  if (v->IsUint64()) return v->GetUint64();
  if (v->IsDouble() && v->GetDouble() > 0) return static_cast<uint64_t>(v->GetDouble());
  if (v->IsString()) {  // network.iana_number style numbers in strings
    uint64_t n = 0;
    const auto r = std::from_chars(v->GetString(), v->GetString() + v->GetStringLength(), n);
    return r.ec == std::errc() ? n : 0;
  }
  return 0;
}

}  // namespace

std::optional<int64_t> parse_utc_seconds(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || s[10] != 'T' || !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) ||
      s[16] != ':' || !digits(s, 17, 2, sec))
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm));
}

bool append_row(std::string_view record, const MessageMeta& meta, std::string& out) {
  rapidjson::Document doc;
  doc.Parse(record.data(), record.size());
  if (doc.HasParseError() || !doc.IsObject()) return false;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const Column& c : kFlowColumns) {
    w.Key(c.name.data(), static_cast<rapidjson::SizeType>(c.name.size()));
    const rapidjson::Value* v =
        c.pointer.empty() ? nullptr : rapidjson::Pointer(c.pointer.data(), c.pointer.size()).Get(doc);
    switch (c.kind) {
      case ColumnKind::kString:
        if (v && v->IsString())
          w.String(v->GetString(), v->GetStringLength());
        else
          w.String("");
        break;
      case ColumnKind::kUInt:
        w.Uint64(as_uint(v));
        break;
      case ColumnKind::kStrings:
        w.StartArray();
        if (v && v->IsArray())
          for (const auto& e : v->GetArray())
            if (e.IsString()) w.String(e.GetString(), e.GetStringLength());
        w.EndArray();
        break;
      case ColumnKind::kDateTime: {
        std::optional<int64_t> t;
        if (v && v->IsString()) t = parse_utc_seconds(std::string_view(v->GetString(), v->GetStringLength()));
        w.Uint64(t && *t > 0 ? static_cast<uint64_t>(*t) : 0);
        break;
      }
      case ColumnKind::kMsgId:
        w.String(meta.msg_id.data(), static_cast<rapidjson::SizeType>(meta.msg_id.size()));
        break;
      case ColumnKind::kStreamSeq:
        w.Uint64(meta.stream_seq);
        break;
      case ColumnKind::kRecord:
        w.String(record.data(), static_cast<rapidjson::SizeType>(record.size()));
        break;
    }
  }
  w.EndObject();
  out.append(buf.GetString(), buf.GetSize());
  out.push_back('\n');
  return true;
}

}  // namespace spanwatch::loader
