// SPDX-License-Identifier: BSD-3-Clause
// MAC addresses as molt reads and writes them: "xx:xx:xx:xx:xx:xx", the form of the config,
// of every listing and of ip(8).
#pragma once

#include <stddef.h>

#include <rte_ether.h>

// Strict "xx:xx:xx:xx:xx:xx" (either case): rte_ether_unformat_addr also takes other forms that
// molt does not document. Returns 0 or -EINVAL.
int mac_parse(const char *s, struct rte_ether_addr *mac);

// Lower-case "xx:xx:xx:xx:xx:xx" into buf (at least RTE_ETHER_ADDR_FMT_SIZE bytes). Returns buf.
char *mac_format(const struct rte_ether_addr *mac, char *buf, size_t len);
