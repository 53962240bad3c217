// Nearest-rank percentiles of the defined, finite values.
export function percentiles(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return { n: 0 };
  const at = (q) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))];
  const mean = xs.reduce((n, v) => n + v, 0) / xs.length;
  return { n: xs.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), mean: Math.round(mean * 10) / 10 };
}
