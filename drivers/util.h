// SPDX-License-Identifier: BSD-3-Clause
// Helpers for drivers built on DPDK libraries.
#pragma once

#include <stddef.h>
#include <stdint.h>

// DPDK object names are global per object type and the names a library derives from ours
// must fit 32 bytes (rte_lpm6 names its rule hash "LRH_<name>", whose ring memzone becomes
// "RG_HT_LRH_<name>"; rte_rib's mempool ring is "RG_MP_<name>"). So callers' names are at
// most DRV_NAME_MAX bytes, and a 2-byte tag per driver and family keeps one slot's IPv4 and
// IPv6 objects, and different drivers' objects, apart (rte_rib and rte_rib6 both name a
// mempool "MP_<name>").
#define DRV_NAME_MAX 16

// Writes tag + name into buf. -EINVAL for a NULL, empty or too long name.
int drv_dpdk_name(char *buf, size_t len, const char *tag, const char *name);
// The errno for a failed DPDK create (from rte_errno), limited to the contract's EINVAL,
// EEXIST and ENOMEM.
int drv_create_errno(void);
// tbl8 groups for an rte_lpm6 table of max_routes routes; the sizing argument is in util.c.
uint32_t drv_v6_tbl8_groups(uint32_t max_routes);
