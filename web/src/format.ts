/** Number, size, duration and date formatting shared by the pages (all output is plain text). */

export function formatInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

export function formatDecimal(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits }) : '—';
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** 1023 → "1,023 B", 12_600 → "12.3 KB" (binary multiples). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${formatInt(value)} B`;
  return `${value >= 100 ? Math.round(value).toString() : value.toFixed(1)} ${UNITS[unit] ?? ''}`;
}

/** 12 → "12 ms", 1400 → "1.4 s", 95_000 → "1.6 min". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

function pad2(n: number): string {
  return n.toString().padStart(2, '0');
}

function toDate(iso: string | number): Date | undefined {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Local `HH:MM:SS`. */
export function formatClock(iso: string | number): string {
  const d = toDate(iso);
  return d ? `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}` : '—';
}

/** Local `YYYY-MM-DD HH:MM`. */
export function formatDateTime(iso: string | number): string {
  const d = toDate(iso);
  return d ? `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}` : '—';
}

/** Local `YYYY-MM-DD HH:MM:SS`. */
export function formatDateTimeSeconds(iso: string | number): string {
  const d = toDate(iso);
  return d ? `${formatDateTime(iso)}:${pad2(d.getSeconds())}` : '—';
}

/** "just now", "12 s ago", "3 min ago", "2 h ago", "4 d ago" relative to `now` (epoch ms). */
export function formatAgo(iso: string, now: number): string {
  const d = toDate(iso);
  if (!d) return '—';
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
