// SPDX-License-Identifier: BSD-3-Clause
// The control-plane namespace from moltd's side: entering it with the calling thread only (so
// that what is created there, taps, sockets, tc filters, is created in it), and configuring an
// interface's addresses over rtnetlink. Control thread only, at start.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Moves the calling thread into /run/netns/NAME; *saved receives the namespace to return to.
// -errno with a message in err (a missing namespace names `ip netns add`).
int cp_netns_enter(const char *name, int *saved, char *err, size_t errlen);
// Returns the calling thread to saved and closes it.
void cp_netns_leave(int saved);

// In the current namespace: adds addr/plen (family 4 or 6, network order) to ifindex; IPv6
// addresses skip duplicate address detection (moltd owns them on the wire). 0 or -errno.
int cp_netns_addr_add(int ifindex, uint8_t family, const uint8_t *addr, uint8_t plen);

// In the current namespace: writes VALUE to /proc/sys/net/ipv6/conf/IFNAME/KEY. 0 or -errno.
int cp_netns_ip6_sysctl(const char *ifname, const char *key, const char *value);
