// JSON Schema (draft 2020-12) of one NDJSON flow record, generated from kAllJsonFields (field_names.hpp), so
// the schema cannot drift from the writer's key table. docs/flow-record.schema.json is this, pretty-printed
// (`spanwatch --print-schema`); a test keeps the committed file equal to it.
#pragma once
#include <rapidjson/document.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace spanwatch::lib {

// Dotted paths every record carries (json_flow_writer.cpp writes them unconditionally). The schema also
// requires the objects that contain them.
std::span<const std::string_view> always_present_fields() noexcept;

// Value format of a string field (or of a string array's items).
enum class JsonFormat : uint8_t { kNone, kDateTime, kIp };
JsonFormat json_format(std::string_view path) noexcept;

// The schema as a document: every object has "properties" and "additionalProperties": false, integers are
// unsigned ("minimum": 0), arrays say what their items are. Throws std::logic_error if the field table is
// inconsistent (a parent declared after its child, a required path that is not in the table).
rapidjson::Document flow_record_schema();

// The schema as text: indented by two spaces (the committed file) or on one line; no trailing newline.
std::string flow_record_schema_json(bool pretty = true);

}  // namespace spanwatch::lib
