"""The README's deep-search Results tables from a finished `aepo compare --budget deep` directory.

Usage: python3 scripts/deep_readme_tables.py runs/deep
Prints three Markdown tables: Pass@k per algorithm (the README's six columns of comparison.md's eight), the paired
differences AEPO − X with the smallest detectable difference in parentheses, and the analyses (high-side clip
fractions recomputed from every run's metrics.jsonl, in percent, as the README gives them).
"""
import sys, json, glob, os, re
root = sys.argv[1]
md = open(os.path.join(root, 'comparison.md')).read()
def tables(text):
    out = []
    cur = []
    for line in text.splitlines():
        if line.startswith('|'):
            cur.append(line)
        elif cur:
            out.append(cur); cur = []
    if cur: out.append(cur)
    return out
def cells(line): return [c.strip() for c in line.strip().strip('|').split('|')]
ts = tables(md)
main, diff, mde, ana = ts[0], ts[1], ts[2], ts[3]
want = ['bridge Pass@1', 'bridge Pass@4', 'bridge (ood) Pass@1', 'deep-3hop Pass@1', 'deep-3hop Pass@4', 'deep-3hop (ood) Pass@1']
h = cells(main[0]); idx = [h.index(w) for w in want]
print('| algorithm | seeds | ' + ' | '.join(want) + ' |')
print('|---|---:|' + '---:|' * len(want))
for line in main[2:]:
    c = cells(line); print('| ' + ' | '.join(c[:2] + [c[i] for i in idx]) + ' |')
print()
h = cells(diff[0]); idx = [h.index(w) for w in want]
print('| AEPO − X | pairs | ' + ' | '.join(want) + ' |')
print('|---|---:|' + '---:|' * len(want))
for d, m in zip(diff[2:], mde[2:]):
    c, e = cells(d), cells(m)
    print('| ' + ' | '.join(c[:2] + ['%s (%s)' % (c[i], e[i] if e[i] not in ('0.0',) else '–') for i in idx]) + ' |')
print()
h = cells(ana[0])
col = {n: h.index(n) for n in h}
print('| algorithm | entropy first → last | high clips (top quartile) | branches / question | top-3 root share | longest branching run | decisions at l ≥ 1 | distinct answers / tool sequences |')
print('|---|---:|---:|---:|---:|---:|---:|---:|')
for line in ana[2:]:
    c = cells(line); alg = c[0]
    vals = []
    for f in glob.glob(os.path.join(root, 'runs', alg, 'seed-*', 'metrics.jsonl')):
        for l in open(f):
            r = json.loads(l)
            if 'clip_frac_high' in r: vals.append((r['clip_frac_high'], r.get('clip_high_entropy_q4', 0)))
    hi = 100 * sum(v[0] for v in vals) / len(vals); q4 = 100 * sum(v[1] for v in vals) / len(vals)
    def pct(x): return ('%.3f' % x if x < 0.1 else '%.1f' % x if x >= 1 else '%.2f' % x).rstrip('0').rstrip('.') + ' %'
    bq = c[col['branches / question']]; tree = bq not in ('0.000', '–')
    def pc(s):
        try: return '%.1f %%' % (100 * float(s))
        except: return s
    print('| %s | %s | %s (%s) | %s | %s | %s | %s | %s / %s |' % (alg, c[col['entropy (first → last)']], pct(hi), pct(q4),
          ('%.2f' % float(bq)) if tree else '–', pc(c[col['top-3 root share']]) if tree else '–',
          ('%.1f' % float(c[col['longest branching run']])) if tree else '–', pc(c[col['decisions at l ≥ 1']]) if tree else '–',
          '%.2f' % float(c[col['distinct answers']]), '%.2f' % float(c[col['distinct tool sequences']])))
