#!/usr/bin/perl
# Writes a tiny GeoIP2-Country-shaped database that places loopback addresses, so tests can
# exercise country policy without leaving 127/8:
#   127.0.0.1 -> DE, 127.0.0.3 -> KP, 127.0.0.4 (registered_country only) -> FR.
# usage: make_loopback_mmdb.pl OUT.mmdb      (needs Debian's libmaxmind-db-writer-perl)
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $out = shift or die "usage: $0 OUT.mmdb\n";
my %types = (country => 'map', registered_country => 'map', iso_code => 'utf8_string');
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 24,
    database_type         => 'GeoIP2-Country',
    languages             => ['en'],
    description           => { en => 'deepgate loopback test database' },
    map_key_type_callback => sub { $types{ $_[0] } },
    remove_reserved_networks => 0,  # else 127/8 is silently dropped
);
$tree->insert_network('127.0.0.1/32', { country => { iso_code => 'DE' } });
$tree->insert_network('127.0.0.3/32', { country => { iso_code => 'KP' } });
$tree->insert_network('127.0.0.4/32', { registered_country => { iso_code => 'FR' } });
open my $fh, '>:raw', $out or die "cannot write $out: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot write $out: $!\n";
