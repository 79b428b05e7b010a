// JsonFlowContext <-> the flow ring's context area: what a reader needs to format records exactly as the
// exporter's files have them (observer and port names, ECS version, community id seed, risk and nDPI names).
// The exporter publishes it once, when it creates the ring, so readers need neither nDPI nor the config.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "lib/export/json_flow_writer.hpp"

namespace spanwatch::lib {

// Little-endian: u32 format version (1), then each member in declaration order. A string is a u32 length
// and its bytes; a list a u32 count and its strings; the risk table 64 x (name, severity, u16 score).
std::string encode_flow_context(const JsonFlowContext& ctx);

// Parses bytes written by encode_flow_context, bounds-checked: nullopt when they are not that (truncated,
// another version, trailing bytes). The risk names are views into `bytes`: keep them alive as long as the
// context (and any JsonFlowWriter made from it).
std::optional<JsonFlowContext> decode_flow_context(std::string_view bytes);

}  // namespace spanwatch::lib
