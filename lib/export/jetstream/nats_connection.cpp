#include "lib/export/jetstream/nats_connection.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace spanwatch::lib::jetstream {
namespace {

using OptionsPtr = std::unique_ptr<natsOptions, CFree<natsOptions_Destroy>>;

void check(const char* what, natsStatus s) {
  if (s != NATS_OK) throw NatsError(nats_error_text(what, s));
}

}  // namespace

std::string nats_error_text(const char* what, natsStatus s) {
  const char* last = nats_GetLastError(nullptr);
  return fmt::format("{}: {}{}{}", what, natsStatus_GetText(s), last && *last ? " - " : "", last ? last : "");
}

ConnectionPtr connect(const ConnectOptions& o, void (*on_state)(natsConnection*, void*), void* closure) {
  // libnats reads some of these only when it connects, and retries forever: say at once when one is missing.
  for (const std::string* f : {&o.creds_file, &o.tls_ca, &o.tls_cert, &o.tls_key})
    if (!f->empty() && access(f->c_str(), R_OK) != 0)
      throw NatsError(fmt::format("cannot read {}: {}", *f, std::strerror(errno)));
  natsOptions* raw = nullptr;
  check("natsOptions_Create", natsOptions_Create(&raw));
  OptionsPtr opts(raw);
  std::vector<const char*> urls;
  for (const auto& s : o.servers) urls.push_back(s.c_str());
  check("nats servers", natsOptions_SetServers(opts.get(), urls.data(), static_cast<int>(urls.size())));
  check("nats name", natsOptions_SetName(opts.get(), o.name.c_str()));
  if (!o.token.empty()) check("nats token", natsOptions_SetToken(opts.get(), o.token.c_str()));
  if (!o.user.empty())
    check("nats user", natsOptions_SetUserInfo(opts.get(), o.user.c_str(), o.password.c_str()));
  if (!o.creds_file.empty())
    check("nats creds_file",
          natsOptions_SetUserCredentialsFromFiles(opts.get(), o.creds_file.c_str(), nullptr));
  if (!o.tls_ca.empty() || !o.tls_cert.empty() || !o.tls_key.empty()) {
    check("nats tls", natsOptions_SetSecure(opts.get(), true));
    if (!o.tls_ca.empty())
      check("nats tls ca", natsOptions_LoadCATrustedCertificates(opts.get(), o.tls_ca.c_str()));
    if (!o.tls_cert.empty() || !o.tls_key.empty())
      check("nats tls cert/key",
            natsOptions_LoadCertificatesChain(opts.get(), o.tls_cert.c_str(), o.tls_key.c_str()));
  }
  check("nats timeout", natsOptions_SetTimeout(opts.get(), o.timeout_ms));
  check("nats reconnects", natsOptions_SetMaxReconnect(opts.get(), -1));  // forever
  check("nats reconnect wait", natsOptions_SetReconnectWait(opts.get(), o.reconnect_wait_ms));
  check("nats jitter", natsOptions_SetReconnectJitter(opts.get(), 50, 50));
  // Publishes while disconnected are held by our own bounded buffer, not libnats' reconnect buffer.
  check("nats allow reconnect", natsOptions_SetAllowReconnect(opts.get(), true));
  check("nats retry", natsOptions_SetRetryOnFailedConnect(opts.get(), true, on_state, closure));
  if (on_state) {
    check("nats cb", natsOptions_SetDisconnectedCB(opts.get(), on_state, closure));
    check("nats cb", natsOptions_SetReconnectedCB(opts.get(), on_state, closure));
  }
  natsConnection* nc = nullptr;
  const natsStatus s = natsConnection_Connect(&nc, opts.get());
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) throw NatsError(nats_error_text("nats connect", s));
  return ConnectionPtr(nc);
}

std::string subject_for(const std::string& prefix, const std::string& observer) {
  std::string o = observer.empty() ? "unknown" : observer;
  for (char& c : o)
    if (c == '.' || c == '*' || c == '>' || c == ' ' || c == '\t' || c == '\r' || c == '\n') c = '_';
  return prefix + "." + o;
}

}  // namespace spanwatch::lib::jetstream
