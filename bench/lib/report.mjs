// The bench's outputs: a text table, the ratios the issue asks for, and an SVG bar chart.

const fmt = (n, digits = 0) => (n === undefined || n === null || Number.isNaN(n) ? '—' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const ms = (p, key) => (p?.n ? fmt(p[key]) : '—');

export function table(results) {
  const header = ['workload', 'backend', 'config', 'msgs', 'msgs/min', 'p50 ms', 'p95 ms', 'p99 ms', 'download p50/p95', 'extract p50/p95', 'ocr p50/p95', 'index p50/p95', 'CPU tree %', 'machine %', 'RSS worker peak/steady MB', 'RSS extract peak MB'];
  const rows = results.map((r) => {
    const m = r.metrics;
    const st = m.stagesMs ?? {};
    const pair = (p) => (p?.n ? `${fmt(p.p50)}/${fmt(p.p95)}` : '—');
    return [
      r.workload,
      r.backend ?? '—',
      r.config,
      `${m.settled}${m.complete ? '' : `/${m.expected}`}`,
      fmt(m.perMinute, 1),
      ms(m.latencyMs, 'p50'),
      ms(m.latencyMs, 'p95'),
      ms(m.latencyMs, 'p99'),
      pair(st.download),
      pair(st.extract),
      pair(st.ocr),
      pair(st.index),
      fmt(m.cpu?.workerTreePercent, 1),
      fmt(m.cpu?.machinePercent, 1),
      m.rssMb?.workerSteady === undefined ? fmt(m.rssMb?.workerPeak) : `${fmt(m.rssMb.workerPeak)}/${fmt(m.rssMb.workerSteady)}`,
      fmt(m.rssMb?.extractionPeak),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < 3 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** ours/baseline per workload × backend, ours/ceiling, and each server backend against embedded. */
export function ratios(results) {
  const find = (w, b, c) => results.find((r) => r.workload === w && (c === 'ceiling' ? r.config === 'ceiling' : r.backend === b && r.config === c))?.metrics.perMinute;
  const workloads = [...new Set(results.map((r) => r.workload))];
  const backends = [...new Set(results.map((r) => r.backend).filter(Boolean))];
  const out = [];
  for (const w of workloads) {
    for (const b of backends) {
      const ours = find(w, b, 'ours');
      const base = find(w, b, 'baseline');
      const ceiling = find(w, undefined, 'ceiling');
      const emb = find(w, 'embedded', 'ours');
      out.push({
        workload: w,
        backend: b,
        oursOverBaseline: ours && base ? Math.round((ours / base) * 10) / 10 : undefined,
        oursOverCeiling: ours && ceiling ? Math.round((ours / ceiling) * 1000) / 10 : undefined,
        overEmbedded: b !== 'embedded' && ours && emb ? Math.round((ours / emb) * 1000) / 10 : undefined,
      });
    }
  }
  return out;
}

export function ratioTable(rs) {
  const header = ['workload', 'backend', 'ours/baseline', 'ours/ceiling', 'ours vs embedded'];
  const rows = rs.map((r) => [r.workload, r.backend, r.oursOverBaseline === undefined ? '—' : `${r.oursOverBaseline}×`, r.oursOverCeiling === undefined ? '—' : `${r.oursOverCeiling} %`, r.overEmbedded === undefined ? '—' : `${r.overEmbedded} %`]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** One panel per workload: horizontal bars of messages/min, each panel on its own scale. */
export function chart(results, title) {
  const workloads = [...new Set(results.map((r) => r.workload))];
  const colors = { ours: '#2563eb', baseline: '#9ca3af', ceiling: '#16a34a' };
  const barH = 18;
  const gap = 6;
  const left = 190;
  const width = 820;
  let y = 40;
  const parts = [`<text x="10" y="24" font-size="16" font-weight="bold">${esc(title)}</text>`];
  for (const w of workloads) {
    const rows = results.filter((r) => r.workload === w);
    const max = Math.max(1, ...rows.map((r) => r.metrics.perMinute));
    parts.push(`<text x="10" y="${y + 14}" font-size="14" font-weight="bold">${esc(w)} (messages/min)</text>`);
    y += 24;
    for (const r of rows) {
      const len = Math.max(1, ((width - left - 90) * r.metrics.perMinute) / max);
      const label = r.config === 'ceiling' ? 'ceiling (extractors alone)' : `${r.backend} · ${r.config}`;
      parts.push(`<text x="${left - 8}" y="${y + 13}" font-size="12" text-anchor="end">${esc(label)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${len.toFixed(1)}" height="${barH}" fill="${colors[r.config] ?? '#6b7280'}"/>`);
      parts.push(`<text x="${(left + len + 6).toFixed(1)}" y="${y + 13}" font-size="12">${esc(fmt(r.metrics.perMinute, 1))}</text>`);
      y += barH + gap;
    }
    y += 16;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
