// Deterministic randomness for the benchmark workloads (bench/workloads.mjs).
// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** mulberry32: a tiny, fast 32-bit PRNG; returns floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over a string: turns (workload, seed, index, purpose) into an independent PRNG seed. */
function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function rng(...parts) {
  const next = mulberry32(hash32(parts.join('\u0000')));
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    shuffle: (list) => {
      const out = [...list];
      for (let i = out.length - 1; i > 0; i -= 1) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
  };
  return r;
}

/** Splits `count` over `shares` (name → fraction) by largest remainder: exact, and summing to count. */
export function apportion(count, shares) {
  const names = Object.keys(shares);
  const total = names.reduce((s, n) => s + shares[n], 0);
  const raw = names.map((n) => (count * shares[n]) / total);
  const out = Object.fromEntries(names.map((n, i) => [n, Math.floor(raw[i])]));
  let left = count - names.reduce((s, n) => s + out[n], 0);
  const order = names.map((n, i) => [n, raw[i] - Math.floor(raw[i]), i]).sort((a, b) => b[1] - a[1] || a[2] - b[2]);
  for (const [n] of order) {
    if (left <= 0) break;
    out[n] += 1;
    left -= 1;
  }
  return out;
}
