// Connecting to a NATS server set, shared by the sensor's publisher and spanwatch-loader: servers,
// credentials and TLS from plain options; reconnects forever in the background (a sensor must outlive its
// servers), and the first connect does not fail when no server is up yet.
#pragma once
#include <nats/nats.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/core/c_handle.hpp"

namespace spanwatch::lib::jetstream {

struct ConnectOptions {
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};
  std::string name = "spanwatch";  // the client name the servers show (nats-server connz)
  std::string token;
  std::string user;
  std::string password;
  std::string creds_file;  // NATS decentralised auth (.creds: JWT + NKey seed)
  std::string tls_ca;      // TLS: set any of these to use TLS
  std::string tls_cert;
  std::string tls_key;
  int reconnect_wait_ms = 250;
  int timeout_ms = 2000;  // one connect attempt
};

using ConnectionPtr = std::unique_ptr<natsConnection, CFree<natsConnection_Destroy>>;
using JsContextPtr = std::unique_ptr<jsCtx, CFree<jsCtx_Destroy>>;

struct NatsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "what: status text (last error)".
std::string nats_error_text(const char* what, natsStatus s);

// Connects, or starts connecting in the background when no server answers yet. `on_state` (may be null) is
// called from a libnats thread on connects, disconnects and reconnects with `closure`. Throws NatsError on
// bad options (unreadable creds or TLS files, malformed URLs).
ConnectionPtr connect(const ConnectOptions& o, void (*on_state)(natsConnection*, void*) = nullptr,
                      void* closure = nullptr);

// "subject_prefix.observer" with the characters NATS subjects reserve (. * > space) replaced by '_'.
std::string subject_for(const std::string& prefix, const std::string& observer);

}  // namespace spanwatch::lib::jetstream
