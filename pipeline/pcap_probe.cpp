#include "pipeline/pcap_probe.hpp"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include "pipeline/startup_error.hpp"

namespace spanwatch::pipeline {

PcapInfo probe_pcap(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) throw StartupError(fmt::format("--pcap {}: cannot read capture: {}", path, err));
  PcapInfo info;
  info.path = path;
  info.dlt = pcap_datalink(p);
  info.link = static_cast<lib::LinkType>(info.dlt);  // LinkType values are DLT numbers
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    if (h->len > h->caplen) info.cut_frames.push_back({info.packets, h->caplen, h->len});
    ++info.packets;
    info.wire_bytes += h->len;
  }
  if (rc == PCAP_ERROR)
    info.warning = fmt::format("capture is damaged after packet {}: {}", info.packets, pcap_geterr(p));
  pcap_close(p);
  return info;
}

}  // namespace spanwatch::pipeline
