// Zeek's connection states (conn.log `conn_state`) and the ATTEMPTED/ESTABLISHED/CLOSED major state.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace spanwatch::lib {

// Direction of a packet relative to the connection's originator (Zeek's orig/resp).
enum class Dir : uint8_t { kOrig = 0, kResp = 1 };
inline constexpr Dir other(Dir d) noexcept {
  return d == Dir::kOrig ? Dir::kResp : Dir::kOrig;
}

enum class ConnState : uint8_t {
  kS0,
  kS1,
  kSF,
  kREJ,
  kS2,
  kS3,
  kRSTO,
  kRSTR,
  kRSTOS0,
  kRSTRH,
  kSH,
  kSHR,
  kOTH,
  kCount
};
inline constexpr std::array<std::string_view, size_t(ConnState::kCount)> kConnStateNames{
    "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"};

enum class ConnStateMajor : uint8_t { kAttempted, kEstablished, kClosed, kCount };
inline constexpr std::array<std::string_view, size_t(ConnStateMajor::kCount)> kConnStateMajorNames{
    "ATTEMPTED", "ESTABLISHED", "CLOSED"};

// OTH maps to ESTABLISHED as ntopng's code does (midstream traffic is traffic, not an attempt).
ConnStateMajor major_of(ConnState s) noexcept;

// Plain-language meaning of each state (Zeek's documentation), for humans reading records.
std::string_view describe(ConnState s) noexcept;

}  // namespace spanwatch::lib
