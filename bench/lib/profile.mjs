// Reads a V8 .cpuprofile (node --cpu-prof) into where the worker's own CPU time went: by function
// and by module (our files, each npm package, Node internals, GC, idle).
import fs from 'node:fs';

function moduleOf(url) {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const ours = /\/dist\/(.+)$/.exec(url);
  if (ours) return `dist/${ours[1]}`;
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(file, top = 15) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const totalUs = profile.endTime - profile.startTime;
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const sampleUs = totalUs / Math.max(1, profile.samples.length);
  const byFunction = new Map();
  const byModule = new Map();
  for (const node of profile.nodes) {
    const n = hits.get(node.id) ?? 0;
    if (n === 0) continue;
    const cf = node.callFrame;
    const name = cf.functionName || '(anonymous)';
    const mod = name.startsWith('(') ? name : moduleOf(cf.url);
    const key = name.startsWith('(') ? name : `${name} ${mod}:${cf.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + n);
    byModule.set(mod, (byModule.get(mod) ?? 0) + n);
  }
  const share = (n) => Math.round(((n * sampleUs) / totalUs) * 1000) / 10;
  const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, n]) => ({ name: k, percent: share(n), ms: Math.round((n * sampleUs) / 1000) }));
  return { totalMs: Math.round(totalUs / 1000), functions: sorted(byFunction), modules: sorted(byModule) };
}

export function profileTable(summary) {
  const lines = [`CPU profile of the worker process (${(summary.totalMs / 1000).toFixed(1)} s sampled; extraction children not included):`, '', '  by module'];
  for (const m of summary.modules) lines.push(`    ${String(m.percent).padStart(5)} %  ${m.name}`);
  lines.push('', '  by function (self time)');
  for (const f of summary.functions) lines.push(`    ${String(f.percent).padStart(5)} %  ${f.name}`);
  return lines.join('\n');
}
