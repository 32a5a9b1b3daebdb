// SPDX-License-Identifier: BSD-3-Clause
// moltd's entry point. The daemon lives in control/daemon/moltd.c, where harnesses such as
// molt-bench-lat call it with hooks; moltd itself runs it without any.
#include <stddef.h>

#include "control/daemon/moltd.h"

int main(int argc, char **argv)
{
	return moltd_main(argc, argv, NULL);
}
