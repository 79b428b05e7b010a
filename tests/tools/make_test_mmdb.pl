#!/usr/bin/perl
# Writes small real MaxMind DB files for lib/enrich/geoip_database_test with Debian's MaxMind DB writer
# (libmaxmind-db-writer-perl), plus expected.tsv listing every network written and what a lookup must say.
# Usage: make_test_mmdb.pl OUTDIR
#   city-geoip2.mmdb   GeoIP2/GeoLite2 City layout, IPv6 tree holding IPv4 too
#   city-flat-v4.mmdb  the flat layout of the ip-location-db DB-IP City Lite files (IPv4 tree, float lat/lon)
#   city-flat-v6.mmdb  the same for IPv6
#   asn.mmdb           GeoLite2-ASN layout
# expected.tsv columns: file, network, found (0: the lookup must miss), country iso code, country name, city,
# latitude, longitude, AS number, AS organization. Strings are hex-encoded UTF-8 so that any byte survives
# the TSV; '-' means absent.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $out = shift @ARGV or die "usage: $0 OUTDIR\n";
-d $out or die "$0: $out is not a directory\n";

my @expected;

sub hex_or_dash {
    my ($s) = @_;
    return '-' unless defined $s;
    my $bytes = $s;
    utf8::encode($bytes);
    return $bytes eq '' ? '' : unpack('H*', $bytes);
}

sub expect {
    my ($file, $network, $found, %f) = @_;
    push @expected, join("\t", $file, $network, $found,
        hex_or_dash($f{iso}), hex_or_dash($f{name}), hex_or_dash($f{city}),
        defined $f{lat} ? sprintf('%.6f', $f{lat}) : '-', defined $f{lon} ? sprintf('%.6f', $f{lon}) : '-',
        defined $f{asn} ? $f{asn} : '-', hex_or_dash($f{org}));
}

sub write_tree {
    my ($tree, $file) = @_;
    open my $fh, '>:raw', "$out/$file" or die "$0: cannot write $out/$file: $!\n";
    $tree->write_tree($fh);
    close $fh or die "$0: cannot write $out/$file: $!\n";
}

sub names {
    my (%n) = @_;
    return {%n};
}

# --- GeoIP2 City layout -------------------------------------------------------------------------------
my %geoip2_types = (
    city => 'map', continent => 'map', country => 'map', registered_country => 'map', location => 'map',
    names => 'map', code => 'utf8_string', iso_code => 'utf8_string', geoname_id => 'uint32',
    latitude => 'double', longitude => 'double', accuracy_radius => 'uint16', time_zone => 'utf8_string',
    en => 'utf8_string', de => 'utf8_string', fr => 'utf8_string', ja => 'utf8_string', 'zh-CN' => 'utf8_string',
);
my $geoip2 = MaxMind::DB::Writer::Tree->new(
    ip_version => 6, record_size => 28, database_type => 'GeoIP2-City', languages => ['en', 'de'],
    description => {en => 'spanwatch test City database (GeoIP2 layout)'},
    map_key_type_callback => sub { $geoip2_types{$_[0]} // die "no type for key $_[0]" },
    remove_reserved_networks => 0, alias_ipv6_to_ipv4 => 1,
);

sub geoip2_city {
    my ($network, %c) = @_;
    my %record = (continent => {code => $c{continent}, names => names(en => $c{continent_name})});
    if (defined $c{iso}) {
        $record{country} = {iso_code => $c{iso}, names => names(en => $c{name}, de => $c{name_de} // $c{name},
                                                                fr => $c{name})};
        $record{country}{geoname_id} = $c{geoname} if defined $c{geoname};
    }
    $record{registered_country} = {iso_code => $c{reg_iso}, names => names(en => $c{reg_name})}
        if defined $c{reg_iso};
    $record{city} = {geoname_id => 1, names => names(en => $c{city}, de => $c{city}, ja => "\x{5e02}")}
        if defined $c{city};
    $record{location} = {latitude => $c{lat}, longitude => $c{lon}, accuracy_radius => 20, time_zone => 'UTC'}
        if defined $c{lat};
    $geoip2->insert_network($network, \%record);
    expect('city-geoip2.mmdb', $network, $c{found} // 1, iso => $c{iso} // $c{reg_iso},
           name => $c{name} // $c{reg_name}, city => $c{city}, lat => $c{lat}, lon => $c{lon});
}

geoip2_city('81.2.69.0/24', continent => 'EU', continent_name => 'Europe', iso => 'GB', geoname => 2635167,
            name => 'United Kingdom', name_de => "Vereinigtes K\x{f6}nigreich", city => 'London',
            lat => 51.5142, lon => -0.0931);
geoip2_city('89.160.20.128/25', continent => 'EU', continent_name => 'Europe', iso => 'SE', geoname => 2661886,
            name => 'Sweden', city => "Link\x{f6}ping", lat => 58.4167, lon => 15.6167);
geoip2_city('216.160.83.56/29', continent => 'NA', continent_name => 'North America', iso => 'US',
            geoname => 6252001, name => 'United States', city => 'Milton', lat => 47.2513, lon => -122.3149);
geoip2_city('2.125.160.216/29', continent => 'EU', continent_name => 'Europe', iso => 'GB', geoname => 2635167,
            name => 'United Kingdom');  # country only: no city, no location
geoip2_city('202.196.224.0/20', continent => 'AS', continent_name => 'Asia', reg_iso => 'PH',
            reg_name => 'Philippines');  # only the registered country (anycast, satellite)
geoip2_city('67.43.156.0/24', continent => 'AS', continent_name => 'Asia', found => 0);  # nothing we read
geoip2_city('2001:480::/32', continent => 'NA', continent_name => 'North America', iso => 'US',
            geoname => 6252001, name => 'United States', city => 'San Diego', lat => 32.7203, lon => -117.1552);
geoip2_city('2a02:d300::/29', continent => 'EU', continent_name => 'Europe', iso => 'UA', geoname => 690791,
            name => 'Ukraine', lat => 49.0, lon => 32.0);
geoip2_city('10.0.0.0/8', continent => 'EU', continent_name => 'Europe', iso => 'ZZ', name => 'Private',
            found => 0);  # special-purpose: must miss although the file has it
geoip2_city('fd00::/8', continent => 'EU', continent_name => 'Europe', iso => 'ZZ', name => 'Private',
            found => 0);
write_tree($geoip2, 'city-geoip2.mmdb');

# --- flat layout (ip-location-db dbip-city-mmdb) ------------------------------------------------------------
my %flat_types = (
    country_code => 'utf8_string', state1 => 'utf8_string', state2 => 'utf8_string', city => 'utf8_string',
    postcode => 'utf8_string', latitude => 'float', longitude => 'float', timezone => 'utf8_string',
);
my %flat;
for my $v (4, 6) {
    $flat{$v} = MaxMind::DB::Writer::Tree->new(
        ip_version => $v, record_size => 24, database_type => "city ipv$v", languages => [],
        description => {en => "spanwatch test City database (flat layout, IPv$v)"},
        map_key_type_callback => sub { $flat_types{$_[0]} // die "no type for key $_[0]" },
        remove_reserved_networks => 0,
    );
}

sub flat_city {
    my ($v, $network, %c) = @_;
    my %record = (country_code => $c{iso}, state1 => $c{state} // '', state2 => '', city => $c{city},
                  postcode => '', timezone => '');
    if (defined $c{lat}) {
        $record{latitude} = $c{lat};
        $record{longitude} = $c{lon};
    }
    $flat{$v}->insert_network($network, \%record);
    # float: store what a float keeps
    my ($lat, $lon) = map { defined $_ ? unpack('f', pack('f', $_)) : undef } ($c{lat}, $c{lon});
    expect("city-flat-v$v.mmdb", $network, $c{found} // 1, iso => $c{iso}, name => '', city => $c{city},
           lat => $lat, lon => $lon);
}

flat_city(4, '1.0.0.0/24', iso => 'AU', state => 'New South Wales', city => 'Sydney', lat => -33.8688, lon => 151.209);
flat_city(4, '8.8.8.0/24', iso => 'US', state => 'California', city => 'Mountain View', lat => 37.422, lon => -122.085);
flat_city(4, '5.6.7.0/24', iso => 'DE', city => '', lat => 51.0, lon => 9.0);  # empty city, as DB-IP has
flat_city(4, '31.13.64.0/18', iso => 'IE', city => 'Dublin');                   # no location
flat_city(4, '192.168.0.0/16', iso => 'ZZ', city => 'Private', found => 0);
flat_city(6, '2001:4860::/32', iso => 'US', state => 'California', city => 'Mountain View', lat => 37.422,
          lon => -122.085);
flat_city(6, '2a00:1450::/32', iso => 'DE', state => 'Hesse', city => 'Frankfurt am Main', lat => 50.1109,
          lon => 8.68213);
flat_city(6, 'fe80::/10', iso => 'ZZ', city => 'Link local', found => 0);
write_tree($flat{4}, 'city-flat-v4.mmdb');
write_tree($flat{6}, 'city-flat-v6.mmdb');

# --- ASN --------------------------------------------------------------------------------------------------
my %asn_types = (autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string');
my $asn = MaxMind::DB::Writer::Tree->new(
    ip_version => 6, record_size => 24, database_type => 'GeoLite2-ASN', languages => ['en'],
    description => {en => 'spanwatch test ASN database'},
    map_key_type_callback => sub { $asn_types{$_[0]} // die "no type for key $_[0]" },
    remove_reserved_networks => 0, alias_ipv6_to_ipv4 => 1,
);

sub as_network {
    my ($network, $number, $org, %o) = @_;
    my %record = (autonomous_system_number => $number);
    $record{autonomous_system_organization} = $org if defined $org;
    $asn->insert_network($network, \%record);
    expect('asn.mmdb', $network, $o{found} // 1, asn => $number, org => $org);
}

as_network('1.1.1.0/24', 13335, 'Cloudflare, Inc.');
as_network('8.8.8.0/24', 15169, 'Google LLC');
as_network('81.2.69.0/24', 20712, 'Andrews & Arnold Ltd');
as_network('89.160.20.128/25', 29518, "Bredband2 AB \x{2013} Link\x{f6}ping");
as_network('46.0.0.0/24', 64512);                      # number without organization
as_network('47.0.0.0/24', 4200000000, 'Private use 32-bit ASN');
# Hostile organization: long, control characters, quotes, markup. Passed through as bytes, never parsed.
as_network('45.0.0.0/24', 65000, ('A' x 600) . "\n\t\"<script>alert(1)</script>\\\x{7f}\x{0}end");
as_network('2001:4860::/32', 15169, 'Google LLC');
as_network('2a00:1450::/32', 15169, 'Google LLC');
as_network('127.0.0.0/8', 64496, 'Loopback', found => 0);
write_tree($asn, 'asn.mmdb');

open my $tsv, '>', "$out/expected.tsv" or die "$0: cannot write $out/expected.tsv: $!\n";
print $tsv "$_\n" for @expected;
close $tsv or die "$0: cannot write $out/expected.tsv: $!\n";
