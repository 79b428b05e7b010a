// nDPI's names by id (protocols, categories, breeds, confidences), for the exporter: a flow keeps only
// the ids (L7Info), and lib/ does not link nDPI, so the worker side fills this table once at start-up
// (NdpiDetector::fill_name_table) and the JSON writer resolves the names.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spanwatch::lib {

struct L7NameTable {
  std::vector<std::string> protocols;    // by nDPI protocol id; [0] is nDPI's "Unknown"
  std::vector<std::string> categories;   // by ndpi_protocol_category_t
  std::vector<std::string> breeds;       // by ndpi_protocol_breed_t
  std::vector<std::string> confidences;  // by ndpi_confidence_t

  // As ndpi_get_proto_name: an id nDPI does not know is named like id 0.
  std::string_view protocol(uint16_t id) const noexcept {
    if (id < protocols.size()) return protocols[id];
    return protocols.empty() ? std::string_view{} : std::string_view{protocols[0]};
  }
  std::string_view category(uint16_t id) const noexcept { return at(categories, id); }
  std::string_view breed(uint8_t id) const noexcept { return at(breeds, id); }
  std::string_view confidence(uint8_t id) const noexcept { return at(confidences, id); }

 private:
  static std::string_view at(const std::vector<std::string>& v, size_t i) noexcept {
    return i < v.size() ? std::string_view{v[i]} : std::string_view{};
  }
};

}  // namespace spanwatch::lib
