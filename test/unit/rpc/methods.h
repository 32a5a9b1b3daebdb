// SPDX-License-Identifier: BSD-3-Clause
// Methods the RPC tests register (methods.c), and the deferred answers they hold.
#pragma once

#include "common/rpc/rpc.h"

// Deferred calls of "test.defer", answered in order by "test.complete" (or by the test itself
// when it polls the server from its own thread).
#define TEST_MAX_DEFERRED 64
extern struct rpc_pending *test_deferred[TEST_MAX_DEFERRED];
extern unsigned test_ndeferred;

// Completes every deferred call, each with its own index as the result.
void test_complete_all(void);
