// SPDX-License-Identifier: BSD-3-Clause
// The control thread's packet path: drains the workers' punt rings and handles each packet by
// its punt reason (ARP/ND to neigh, echo to us, routing protocols up to the control plane,
// ICMP errors, resolution + hold), and reads what the control plane sends (control/cpif). What
// it sends leaves through control/host/inject.h. Control thread only.
#pragma once

#include <rte_mempool.h>

#include "control/config/config.h"

// Gives the control packet path the router's addresses and settings (router_set_config) and the
// pool its generated packets come from (inject_set_pool). -EINVAL when either is NULL.
int punt_init(const struct molt_config *cfg, struct rte_mempool *mp);

// Handles up to a bounded number of punted packets, and of packets from the control-plane
// interfaces; returns how many it handled.
unsigned punt_poll(void);
