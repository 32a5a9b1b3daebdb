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
    """Left: Mpps against table size, one line per traffic locality. Right: Mpps against
    the metabolism interval asked for, one bar per table, with the flips per second achieved."""
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
    sizes = sorted({p['routes'] for p in m})
    intervals = []
    for p in m:
        if p['metabolism_ms'] not in intervals:
            intervals.append(p['metabolism_ms'])
    width = 0.8 / max(1, len(sizes))
    for k, n in enumerate(sizes):
        xs, ys, fl = [], [], []
        for i, ms in enumerate(intervals):
            for p in m:
                if p['routes'] == n and p['metabolism_ms'] == ms:
                    xs.append(i + (k - (len(sizes) - 1) / 2) * width)
                    ys.append(p['mpps'])
                    fl.append(p.get('flips_per_s', 0))
        a2.bar(xs, ys, width, label='%d routes' % n)
        for x, y, f in zip(xs, ys, fl):
            a2.text(x, y, '%.1f/s' % f, ha='center', va='bottom', fontsize=7)
    a2.set_xticks(range(len(intervals)))
    a2.set_xticklabels([('%d ms' % ms) if ms else 'off' for ms in intervals])
    a2.set_ylim(0, 1.3 * max([p['mpps'] for p in m] + [1]))
    a2.legend(loc='upper right', title='flips per second above each bar', fontsize=8,
              title_fontsize=8, ncol=2)
    a2.set_xlabel('metabolism interval')
    a2.set_ylabel('Mpps')
    a2.set_title('metabolism (uniform traffic)')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
