#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs every Debian 12 package that molt's build, tests and demo need. Idempotent: safe to
# run again; apt-get skips what is already installed. Needs root.
set -euo pipefail

PACKAGES=(
	# build
	build-essential gcc pkg-config meson ninja-build
	libdpdk-dev libjansson-dev libcmocka-dev libbpf-dev libxdp-dev libpcap-dev
	# Intel ipsec-mb: the keyed MACs (feed authentication, slot page audit)
	libipsec-mb-dev
	# the PMD plugins (net_pcap, net_af_packet, ...); dpdk-dev has dpdk-testpmd
	# and dpdk-telemetry.py (molt-bench --compare, the telemetry tests)
	dpdk dpdk-dev
	# tests and demo
	python3 python3-scapy iproute2 iputils-ping ethtool iperf3 procps psmisc tcpdump jq
	util-linux coreutils kmod
	# fuzzers, sanitizers, profiling (libclang-rt-14-dev: clang's libFuzzer and sanitizer
	# runtimes, only recommended by clang, so --no-install-recommends leaves them out)
	clang libclang-rt-14-dev valgrind
	# FRR (zebra with dplane_fpm_nl): recording FPM frames, the routing-protocol tests
	frr
	# BIRD 2: the BGP peer of the routing-protocol test (bgp_e2e.sh)
	bird2
	# lint: tools/check-format.sh
	clang-format
	# molt-bench --plot
	python3-matplotlib
)

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-deps: must run as root (apt-get install)" >&2
	exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup-deps: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi

echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${PACKAGES[@]}"
