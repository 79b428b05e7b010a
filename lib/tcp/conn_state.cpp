// Zeek conn_state helpers: the ntopng-style major state and Zeek's documented meaning of each state.
#include "lib/tcp/conn_state.hpp"

namespace spanwatch::lib {

ConnStateMajor major_of(ConnState s) noexcept {
  switch (s) {
    case ConnState::kS0:
    case ConnState::kREJ:
    case ConnState::kRSTOS0:
    case ConnState::kRSTRH:
    case ConnState::kSH:
    case ConnState::kSHR:
      return ConnStateMajor::kAttempted;
    case ConnState::kS1:
    case ConnState::kOTH:  // ntopng src/Flow.cpp getMajorConnState(), not its docs (zeek-conn-state.md b.1)
      return ConnStateMajor::kEstablished;
    case ConnState::kSF:
    case ConnState::kS2:
    case ConnState::kS3:
    case ConnState::kRSTO:
    case ConnState::kRSTR:
      return ConnStateMajor::kClosed;
    case ConnState::kCount:
      break;
  }
  return ConnStateMajor::kEstablished;
}

// The conn_state table in Zeek's scripts/base/protocols/conn/main.zeek (Conn::Info$conn_state).
std::string_view describe(ConnState s) noexcept {
  switch (s) {
    case ConnState::kS0:
      return "Connection attempt seen, no reply.";
    case ConnState::kS1:
      return "Connection established, not terminated.";
    case ConnState::kSF:
      return "Normal establishment and termination.";
    case ConnState::kREJ:
      return "Connection attempt rejected.";
    case ConnState::kS2:
      return "Connection established and close attempt by originator seen (but no reply from responder).";
    case ConnState::kS3:
      return "Connection established and close attempt by responder seen (but no reply from originator).";
    case ConnState::kRSTO:
      return "Connection established, originator aborted (sent a RST).";
    case ConnState::kRSTR:
      return "Responder sent a RST.";
    case ConnState::kRSTOS0:
      return "Originator sent a SYN followed by a RST, we never saw a SYN-ACK from the responder.";
    case ConnState::kRSTRH:
      return "Responder sent a SYN ACK followed by a RST, we never saw a SYN from the (purported) "
             "originator.";
    case ConnState::kSH:
      return "Originator sent a SYN followed by a FIN, we never saw a SYN ACK from the responder (hence the "
             "connection was \"half\" open).";
    case ConnState::kSHR:
      return "Responder sent a SYN ACK followed by a FIN, we never saw a SYN from the originator.";
    case ConnState::kOTH:
      return "No SYN seen, just midstream traffic (one example of this is a \"partial connection\" that was "
             "not later closed).";
    case ConnState::kCount:
      break;
  }
  return {};
}

}  // namespace spanwatch::lib
