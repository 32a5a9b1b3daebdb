// SPDX-License-Identifier: BSD-3-Clause
#include <ctype.h>
#include <errno.h>

#include "control/config/mac.h"

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int mac_parse(const char *s, struct rte_ether_addr *mac)
{
	for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++) {
		int hi = hexval(s[3 * i]), lo = hi < 0 ? -1 : hexval(s[3 * i + 1]);
		char sep = s[3 * i + 2];

		if (hi < 0 || lo < 0 || (i < 5 && sep != ':') || (i == 5 && sep != '\0'))
			return -EINVAL;
		mac->addr_bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

char *mac_format(const struct rte_ether_addr *mac, char *buf, size_t len)
{
	rte_ether_format_addr(buf, (uint16_t)len, mac);
	// DPDK writes upper case; listings and the config use ip(8)'s lower case.
	for (char *p = buf; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return buf;
}
