# SPDX-License-Identifier: BSD-3-Clause
# molt-bench --plot, with Debian's python3-matplotlib (imported only when a plot is asked for).
import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def timeline(r, path):
    """Throughput per bin, a dashed line at each bin in which a worker saw a flip."""
    t = [b['t'] for b in r['bins']]
    y = [b['mpps'] for b in r['bins']]
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.step(t, y, where='post', label='forwarded Mpps')
    first = True
    for b in r['bins']:
        if b['flips']:
            ax.axvline(b['t'], color='red', ls='--', lw=0.8, label='slot flip' if first else None)
            first = False
    ax.set_xlabel('seconds (bins of %.2f s)' % (t[1] - t[0] if len(t) > 1 else 0))
    ax.set_ylabel('Mpps')
    ax.set_ylim(bottom=0)
    ax.set_title('%s, metabolism %s' % (r['label'], '%d ms' % r['metabolism']['interval_ms']
                                        if r['metabolism']['interval_ms'] else 'off'))
    ax.legend(loc='lower right')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def latency(r, path):
    """--latency: p50 / p99 / max latency per bin (log scale), flips as dashed lines, frames
    lost per bin (by send time) as red marks."""
    bins = r['bins']
    t = [b['t'] for b in bins]
    fig, ax = plt.subplots(figsize=(10, 4))
    for key, name in (('max_us', 'max'), ('p99_us', 'p99'), ('p50_us', 'p50')):
        ax.step(t, [b[key] or float('nan') for b in bins], where='post', label=name)
    first = True
    for b in bins:
        if b['flips']:
            ax.axvline(b['t'], color='red', ls='--', lw=0.8, label='slot flip' if first else None)
            first = False
    lost = [(b['t'], b['lost']) for b in bins if b['lost']]
    if lost:
        ax.plot([x for x, _ in lost], [1] * len(lost), 'rx', label='frames lost in bin')
    ax.set_yscale('log')
    ax.set_xlabel('seconds (bins of %.2f s, by send time)' % (t[1] - t[0] if len(t) > 1 else 0))
    ax.set_ylabel('latency (us)')
    m = r['metabolism']['interval_ms']
    ax.set_title('%s, metabolism %s' % (r['label'], '%d ms' % m if m else 'off'))
    ax.legend(loc='upper right')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def sweep(res, path):
    """Left: Mpps against table size, one line per traffic locality. Right: Mpps against flip
    interval on the largest table."""
    pts = res['points']
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for pat in sorted({p['traffic'] for p in pts if p['axis'] == 'table'}):
        s = [p for p in pts if p['axis'] == 'table' and p['traffic'] == pat]
        a1.plot([p['routes'] for p in s], [p['mpps'] for p in s], marker='o', label=pat)
    if res.get('testpmd_io_mpps'):
        a1.axhline(res['testpmd_io_mpps'], color='grey', ls=':', label='testpmd io')
    a1.set_xscale('log')
    a1.set_xlabel('routes in the table')
    a1.set_ylabel('Mpps (1 worker)')
    a1.set_ylim(bottom=0)
    a1.legend()
    a1.set_title('table size and traffic locality')
    m = [p for p in pts if p['axis'] == 'metabolism']
    labels = [('%d ms' % p['metabolism_ms']) if p['metabolism_ms'] else 'off' for p in m]
    a2.bar(labels, [p['mpps'] for p in m])
    for i, p in enumerate(m):
        a2.text(i, p['mpps'], '%d flips' % p['flips'], ha='center', va='bottom', fontsize=8)
    a2.set_xlabel('metabolism interval')
    a2.set_ylabel('Mpps')
    a2.set_title('flip rate (%d routes, uniform)' % (m[0]['routes'] if m else 0))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
