#include "lib/enrich/country_names.hpp"

#include <rapidjson/document.h>

#include <fstream>
#include <sstream>
#include <utility>

namespace spanwatch::lib {

void CountryNames::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    warnings_.push_back(path +
                        ": cannot be read (Debian package iso-codes); country names come only from "
                        "GeoIP databases that carry them");
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str().c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("3166-1") || !doc["3166-1"].IsArray()) {
    warnings_.push_back(path + ": not the iso-codes ISO 3166-1 JSON; no country names");
    return;
  }
  std::vector<std::pair<size_t, std::pair<size_t, size_t>>> where;  // slot -> (offset, length) in pool_
  for (const auto& c : doc["3166-1"].GetArray()) {
    if (!c.IsObject() || !c.HasMember("alpha_2") || !c["alpha_2"].IsString()) continue;
    const auto pick = [&](const char* k) -> const rapidjson::Value* {
      return c.HasMember(k) && c[k].IsString() ? &c[k] : nullptr;
    };
    const rapidjson::Value* n = pick("common_name");
    if (!n) n = pick("name");
    const std::string_view code(c["alpha_2"].GetString(), c["alpha_2"].GetStringLength());
    if (!n || code.size() != 2 || upper_index(code[0]) < 0 || upper_index(code[1]) < 0) continue;
    const size_t slot = size_t(upper_index(code[0])) * 26 + size_t(upper_index(code[1]));
    where.push_back({slot, {pool_.size(), n->GetStringLength()}});
    pool_.append(n->GetString(), n->GetStringLength());
  }
  for (const auto& [slot, span] : where)
    names_[slot] = std::string_view(pool_).substr(span.first, span.second);
  count_ = where.size();
}

}  // namespace spanwatch::lib
