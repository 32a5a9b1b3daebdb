// SPDX-License-Identifier: BSD-3-Clause
// setns(2) per thread, and just enough rtnetlink (RTM_NEWADDR) for the control-plane
// interfaces' addresses.
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "control/cpif/cp_netns.h"

int cp_netns_enter(const char *name, int *saved, char *err, size_t errlen)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen,
			 "control_plane.netns \"%s\": cannot open %s: %s (create the namespace "
			 "first: ip netns add %s)",
			 name, path, strerror(errno), name);
		return ret;
	}
	*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open this thread's network namespace: %s",
			 strerror(errno));
		close(fd);
		return ret;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		ret = -errno;
		snprintf(err, errlen, "control_plane.netns \"%s\": cannot enter it: %s", name,
			 strerror(errno));
		close(fd);
		close(*saved);
		return ret;
	}
	close(fd);
	return 0;
}

void cp_netns_leave(int saved)
{
	// Failing to come back would leave the control thread's later sockets in the wrong
	// namespace: the RPC socket is already open, but say it loudly.
	if (setns(saved, CLONE_NEWNET) < 0)
		LOG_ERR("cpif", "cannot return to moltd's network namespace: %s", strerror(errno));
	close(saved);
}

struct addr_req {
	struct nlmsghdr nh;
	struct ifaddrmsg ifa;
	char attrs[64];
};

static void put_attr(struct addr_req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

// Sends r and reads the kernel's acknowledgement: 0 or its -errno.
static int nl_transact(int fd, struct addr_req *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[512];
	ssize_t n;

	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			return e->error;
		}
	}
	return -EPROTO;
}

int cp_netns_addr_add(int ifindex, uint8_t family, const uint8_t *addr, uint8_t plen)
{
	struct addr_req r;
	uint32_t flags = IFA_F_NODAD;
	size_t alen = family == 4 ? 4 : 16;
	int fd, ret;

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.ifa));
	r.nh.nlmsg_type = RTM_NEWADDR;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	r.nh.nlmsg_seq = 1;
	r.ifa.ifa_family = family == 4 ? AF_INET : AF_INET6;
	r.ifa.ifa_prefixlen = plen;
	r.ifa.ifa_index = (unsigned)ifindex;
	put_attr(&r, IFA_LOCAL, addr, alen);
	put_attr(&r, IFA_ADDRESS, addr, alen);
	if (family == 6)
		put_attr(&r, IFA_FLAGS, &flags, sizeof(flags));
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	ret = nl_transact(fd, &r);
	close(fd);
	return ret;
}

int cp_netns_ip6_sysctl(const char *ifname, const char *key, const char *value)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -errno : 0;
}
