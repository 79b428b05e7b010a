// The whole configuration as plain structs. Defaults live in the member initialisers; units are in the
// names. conf/spanwatch.yaml documents every key; config_loader.hpp turns YAML into this.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace spanwatch::lib {

struct PortConfig {
  std::string device;  // PCI address ("0000:3b:00.0") or a vdev ("net_pcap0,rx_pcap=x.pcap")
  std::string name;    // shown in records (observer.ingress.interface.name); default: device
  uint16_t rx_queues = 1;
  uint16_t rx_desc = 1024;
  std::string link_type = "ethernet";  // ethernet | raw | null | loop | linux_sll | linux_sll2 | ipv4 | ipv6
  uint16_t mtu = 0;           // L3 MTU to set (jumbo: up to 9000); 0 = leave the device's own (usually 1500)
  uint32_t link_wait_s = 10;  // wait this long for link up at start; a link still down is a warning

  bool operator==(const PortConfig&) const = default;
};

struct LcoreConfig {
  unsigned main = 0;                 // EAL main lcore; also runs the exporter unless `exporter` is set
  std::vector<unsigned> rx{1};       // one RX lcore per entry; queues are spread over them
  std::vector<unsigned> workers{2};  // one flow shard per entry (an lcore may be both RX and worker only
                                     // when shared_cpus is true)
  int exporter = -1;                 // -1: the exporter runs on the main lcore
  bool shared_cpus = false;          // true: idle lcores yield the CPU (machines with fewer CPUs than lcores)
  std::string cpu_map;               // optional EAL --lcores map, e.g. "0@(0-1),1@1"; empty: -l from the ids

  bool operator==(const LcoreConfig&) const = default;
};

struct MemoryConfig {
  bool hugepages = true;      // false: --no-huge (tests, pcap replay)
  unsigned memory_mb = 1024;  // EAL -m
  unsigned mbufs = 0;         // 0 = auto: sized from descriptors, rings and bursts
  unsigned mbuf_cache = 256;
  unsigned rx_ring_size = 4096;      // RX lcore -> worker, one SPSC ring per pair, power of two
  unsigned export_ring_size = 4096;  // worker -> exporter records, power of two

  bool operator==(const MemoryConfig&) const = default;
};

struct FlowConfig {
  uint32_t max_flows_per_worker = 262144;  // pre-sized; when full the least recently active flow is evicted
  uint32_t max_dpi_flows_per_worker = 65536;  // flows in application detection at once (one nDPI state each)
  uint32_t max_parsing_flows_per_worker = 8192;  // flows whose handshake our parsers are reading at once
  uint32_t tcp_idle_timeout_s = 300;             // Zeek tcp_inactivity_timeout
  uint32_t tcp_linger_s = 5;                     // after FIN/RST on both sides (Zeek tcp_close_delay)
  uint32_t tcp_attempt_timeout_s = 5;            // SYN with no answer yet (Zeek tcp_attempt_delay)
  uint32_t tcp_handshake_timeout_s = 60;         // before either side is established (Zeek uses
                                                 // udp_inactivity_timeout until the handshake is done)
  uint32_t udp_idle_timeout_s = 60;              // Zeek udp_inactivity_timeout
  uint32_t dns_idle_timeout_s = 10;  // UDP on DNS ports 53/137/5353/5355 (Zeek dns_session_timeout)
  uint32_t icmp_idle_timeout_s = 60;
  uint32_t other_idle_timeout_s = 60;
  uint32_t active_timeout_s = 300;  // interim record for long flows (spanwatch.flow.final=false)
  uint32_t fragment_timeout_s = 30;
  uint32_t live_update_ms = 0;  // snapshot records of changed active flows (set from ring.update_interval_ms)
  bool capture_payload_prefix = false;  // keep each side's first payload bytes (set when rules need them)
  bool profile_stages = false;    // count each worker stage's cycles (workers/stage_profile.hpp; bench.sh)
  bool verify_checksums = false;  // Zeek without -C: bad IPv4 header drops, bad TCP/UDP/ICMP uncounted + C/c

  bool operator==(const FlowConfig&) const = default;
};

struct OutputConfig {
  std::string dir = "/var/log/spanwatch";
  std::string file = "flows.json";
  uint32_t stats_interval_s = 10;  // periodic stats line and stats.json
  uint16_t community_id_seed = 0;  // Community ID v1 seed (network.community_id); 0 is the usual default
  uint32_t rotate_mb = 0;          // rename `file` to flows-<UTC time>-<n>.json at this size; 0 = never
  uint32_t rotate_interval_s = 0;  // ... and once it is this old (wall clock since opened); 0 = never
  uint32_t max_files = 0;          // rotated files kept, oldest deleted first; 0 = all
  uint32_t max_total_mb = 0;       // MB of rotated files kept (the newest is always kept); 0 = no limit
  // none | rotate | interval. rotate: fdatasync a file before its rotation rename, so what shippers and
  // archives treat as final is on disk, while the live file costs nothing extra (a spanwatch crash loses
  // nothing either way; the page cache holds it). interval: also every fsync_interval_s.
  std::string fsync = "rotate";
  uint32_t fsync_interval_s = 1;  // fsync: interval only

  bool operator==(const OutputConfig&) const = default;
};

// The shared-memory ring live consumers read (spanwatch-viewer, spanwatch-tail): every final and interim
// record, plus a snapshot of each active flow that changed, every update_interval_ms.
struct RingConfig {
  bool enabled = true;
  std::string name = "/spanwatch-flows";  // POSIX shm name (/dev/shm/spanwatch-flows)
  uint32_t capacity = 16384;              // slots, power of two: how far a reader may lag
  uint32_t slot_bytes = 4096;             // largest record (BIN4-encoded); longer ones skip the ring, counted
  uint32_t update_interval_ms = 1000;     // live snapshots of changed active flows; 0 = none

  bool operator==(const RingConfig&) const = default;
};

// IPFIX export (docs/ipfix.md): every final and interim record as an RFC 5103 biflow to one collector,
// batched into messages of at most `mtu` bytes and sent at least once a second.
struct IpfixConfig {
  bool enabled = false;
  std::string collector = "127.0.0.1";        // host name or address
  uint16_t port = 4739;                       // IANA's IPFIX port
  std::string transport = "udp";              // udp | tcp
  uint32_t observation_domain = 0;            // the message header's Observation Domain ID
  uint32_t template_refresh_s = 60;           // UDP: send the templates again this often; 0 = not by time
  uint32_t template_refresh_messages = 1000;  // UDP: ... and every this many messages; 0 = not by count
  uint32_t mtu = 1400;                        // largest IPFIX message (UDP payload), bytes

  bool operator==(const IpfixConfig&) const = default;
};

// NATS JetStream publishing (docs/fleet.md): every final and interim record as one message on the subject
// "<subject_prefix>.<observer.name>", published asynchronously by a plain thread; records wait in a bounded
// buffer while no server answers and are counted when dropped.
struct NatsConfig {
  bool enabled = false;
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};  // several: one cluster, tried in turn
  std::string token;  // auth: a token, or user + password, or a creds file (JWT + NKey seed)
  std::string user;
  std::string password;
  std::string creds_file;
  std::string tls_ca;  // TLS when any of the three is set (tls:// server URLs need it)
  std::string tls_cert;
  std::string tls_key;
  std::string stream = "SPANWATCH_FLOWS";
  std::string subject_prefix = "spanwatch.flows";
  bool create_stream = true;         // create the stream (subjects "<subject_prefix>.>") when missing
  uint32_t replicas = 1;             // ... with this many replicas (3 on a 3-node cluster)
  uint32_t max_age_hours = 0;        // ... keeping messages this long; 0 = no age limit
  uint32_t queue_mb = 32;            // exporter -> publisher thread, lock-free; full = counted drop
                                     // (a replay waits instead)
  uint32_t buffer_records = 200000;  // records waiting or unacknowledged; full = counted drop
  uint32_t max_in_flight = 4096;     // asynchronous publishes awaiting an ack
  uint32_t ack_timeout_ms = 5000;    // unacknowledged by then: published again (same message id)
  uint32_t flush_timeout_s = 15;     // at exit, how long the buffer gets to empty
  std::string spill_file;            // beyond buffer_records, records go to this file; "" = dropped
  uint32_t spill_max_mb = 1024;      // ... up to this size

  bool operator==(const NatsConfig&) const = default;
};

// What the exporter adds to each record (lib/enrich). Relative paths are relative to the config file's folder
// (resolve_paths); "" switches a data source off. Missing optional data is one warning, never an error.
struct ServiceOverride {
  uint8_t l4_proto = 0;  // 6, 17 or 132
  uint16_t port = 0;
  std::string name;

  bool operator==(const ServiceOverride&) const = default;
};

struct EnrichmentConfig {
  bool enabled = true;
  // Networks of the monitored site: network.direction and spanwatch.{src,dst}.is_local.
  std::vector<std::string> local_networks{"10.0.0.0/8",    "172.16.0.0/12",  "192.168.0.0/16",
                                          "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8",
                                          "fc00::/7",      "fe80::/10",      "::1/128"};
  std::vector<std::string> service_files{"/etc/services", "/usr/share/nmap/nmap-services"};
  std::vector<ServiceOverride> services;  // user names for ports ("tcp/8443: admin-ui")
  std::string mac_vendor_dir = "/usr/share/ieee-data";
  // MaxMind-format City and ASN databases (scripts/fetch-geoip.sh fetches free ones; commercial GeoIP2 files
  // work the same). Several files of a kind are asked in order (DB-IP Lite ships IPv4 and IPv6 apart).
  std::vector<std::string> geoip_city;  // default: set by the pipeline from what fetch-geoip.sh installs
  std::vector<std::string> geoip_asn;
  bool geoip_default = true;             // true until the config names geoip_city or geoip_asn
  std::string as_classes;                // default: <data dir>/as-classes.tsv
  std::string dhcp_fingerprints;         // default: <data dir>/dhcp-fingerprints.tsv
  std::string inventory;                 // CSV cidr,hostname,owner,role,os; "" = none
  std::string rules;                     // Hyperscan rules (conf/rules.yaml); "" = none
  uint32_t host_names = 65536;           // host names learned from DHCP and DNS, kept at once
  uint32_t long_lived_s = 1800;          // label long_lived from this duration
  uint64_t elephant_bytes = 1ull << 30;  // label elephant from this many bytes (both ways)

  bool operator==(const EnrichmentConfig&) const = default;
};

// Prometheus text metrics over HTTP, served by a plain thread (never an lcore) from the counters stats.json
// shows. Off by default; meant for 127.0.0.1 with a local Prometheus agent or node_exporter-style scraping.
struct MetricsConfig {
  bool enabled = false;
  std::string listen = "127.0.0.1:9273";  // HOST:PORT; port 0 picks a free port (printed at start-up)
  // DPDK's telemetry socket, with spanwatch's /spanwatch/stats beside DPDK's own commands: "auto" (on with
  // hugepages, i.e. in production; off for --no-huge runs and tests), "true" or "false".
  std::string telemetry = "auto";
  bool telemetry_on(bool hugepages) const noexcept {
    return telemetry == "true" || (telemetry == "auto" && hugepages);
  }

  bool operator==(const MetricsConfig&) const = default;
};

struct ObserverConfig {
  std::string name;  // observer.name; default: host name

  bool operator==(const ObserverConfig&) const = default;
};

struct SpanwatchConfig {
  std::vector<PortConfig> ports;
  LcoreConfig lcores;
  MemoryConfig memory;
  FlowConfig flows;
  OutputConfig output;
  RingConfig ring;
  MetricsConfig metrics;
  IpfixConfig ipfix;
  NatsConfig nats;
  ObserverConfig observer;
  EnrichmentConfig enrichment;
  std::vector<std::string> eal_args;  // extra EAL arguments, passed through verbatim
  std::string log_level = "warning";  // DPDK log level

  bool operator==(const SpanwatchConfig&) const = default;
};

}  // namespace spanwatch::lib
