// SPDX-License-Identifier: BSD-3-Clause
// The per-family engines behind the drivers, shared so that a driver can pair the best engine
// of each family (drivers/fib_lpm6.c) without a copy.
#pragma once

#include "drivers/driver.h"

extern const struct fib_ops molt_lpm4_ops; // rte_lpm
extern const struct fib_ops molt_lpm6_ops; // rte_lpm6
extern const struct fib_ops molt_fib4_ops; // rte_fib DIR24_8
extern const struct fib_ops molt_fib6_ops; // rte_fib6 TRIE
