import type { DlqView, FailureView, PartError, PreflightView, StageName, StageView, WorkerView } from '../../src/web/api-types.js';
import { el, emptyState, table } from './dom.js';
import { formatAgo, formatClock, formatDateTimeSeconds, formatInt, formatMs } from './format.js';

/** The dashboard's tables, each built from one part of the response (all data goes in as text). */

export function isPartError(x: unknown): x is PartError {
  return typeof x === 'object' && x !== null && 'error' in x;
}

export function partErrorNode(err: PartError): HTMLElement {
  return el('p', { class: 'part-error', role: 'status', title: err.error.code }, 'Unavailable: ', err.error.message);
}

function num(n: number, cls = 'num'): HTMLTableCellElement {
  return el('td', { class: cls, 'data-value': String(n) }, formatInt(n));
}

function byCountDesc(record: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(record).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function dlqNodes(dlq: DlqView | PartError): Node[] {
  if (isPartError(dlq)) return [partErrorNode(dlq)];
  if (dlq.depth === 0) return [emptyState('Dead-letter queue is empty')];
  const reasons = byCountDesc(dlq.byReason);
  const extensions = byCountDesc(dlq.byExtension);
  const nodes: Node[] = [];
  nodes.push(
    reasons.length === 0
      ? emptyState('No breakdown yet')
      : table(
          'dlq-table',
          ['Reason', ['Messages', 'num']],
          reasons.map(([reason, count]) => el('tr', { 'data-reason': reason }, el('td', null, el('code', null, reason)), num(count))),
        ),
  );
  if (extensions.length > 0) {
    nodes.push(
      el(
        'div',
        { class: 'dlq-extensions', 'data-testid': 'dlq-extensions' },
        el('span', { class: 'muted' }, 'By extension: '),
        el(
          'ul',
          { class: 'inline-list' },
          ...extensions.map(([ext, count]) =>
            el('li', { 'data-extension': ext }, el('span', { class: 'ext' }, ext === '' ? '(none)' : ext), ' ', el('span', { class: 'num' }, formatInt(count))),
          ),
        ),
      ),
    );
  }
  nodes.push(
    el(
      'p',
      { class: 'footnote' },
      dlq.analyzedAt ? `Analysed at ${formatDateTimeSeconds(dlq.analyzedAt)}` : 'Not analysed yet',
      ` · ${formatInt(dlq.depth)} in the queue`,
    ),
  );
  return nodes;
}

function stateBadge(state: string): HTMLElement {
  const known = ['closed', 'open', 'half-open'].includes(state) ? state : 'unknown';
  return el('span', { class: `badge state-${known}`, 'data-state': state }, state);
}

export function breakerNodes(workers: readonly WorkerView[]): Node[] {
  const rows: HTMLTableRowElement[] = [];
  for (const w of workers) {
    for (const b of w.breakers) {
      rows.push(
        el(
          'tr',
          { 'data-worker': w.workerId, 'data-downstream': b.downstream, 'data-state': b.state },
          el('td', { class: 'mono' }, w.workerId),
          el('td', null, b.downstream),
          el(
            'td',
            null,
            stateBadge(b.state),
            b.state === 'open' && b.retryInMs > 0 ? el('span', { class: 'muted probe' }, ` probe in ${Math.ceil(b.retryInMs / 1000)} s`) : null,
          ),
        ),
      );
    }
  }
  if (rows.length === 0) return [emptyState(workers.length === 0 ? 'No worker running on this host' : 'No circuit breakers reported')];
  return [table('breaker-table', ['Worker', 'Downstream', 'State'], rows)];
}

export function workerNodes(workers: readonly WorkerView[], now: number): Node[] {
  if (workers.length === 0) return [emptyState('No worker running on this host')];
  const rows = workers.map((w) =>
    el(
      'tr',
      { 'data-worker': w.workerId },
      el('td', { class: 'mono' }, w.workerId),
      num(w.pid),
      el('td', { class: 'nowrap' }, w.host),
      el('td', null, el('span', { class: `phase phase-${w.phase.replace(/[^a-z0-9-]/gi, '')}` }, w.phase)),
      num(w.inFlight),
      num(w.stats.indexed),
      num(w.stats.deadLettered),
      num(w.stats.released),
      el('td', { title: formatDateTimeSeconds(w.updatedAt) }, el('time', { datetime: w.updatedAt }, formatAgo(w.updatedAt, now))),
    ),
  );
  return [
    table(
      'worker-table',
      ['Worker', ['PID', 'num'], 'Host', 'Phase', ['In flight', 'num'], ['Indexed', 'num'], ['Dead-lettered', 'num'], ['Released', 'num'], 'Updated'],
      rows,
    ),
  ];
}

export function failureNodes(failures: readonly FailureView[]): Node[] {
  if (failures.length === 0) return [emptyState('No failures recently')];
  const sorted = [...failures].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const rows = sorted.map((f) =>
    el(
      'tr',
      { 'data-reason': f.reason },
      el('td', { class: 'nowrap', title: formatDateTimeSeconds(f.at) }, el('time', { datetime: f.at }, formatClock(f.at))),
      el('td', { class: 'key' }, f.key === undefined ? el('span', { class: 'muted' }, '(unreadable message)') : f.key),
      el('td', null, el('code', null, f.reason)),
      el('td', null, f.stage),
      el('td', null, f.errorClass),
    ),
  );
  return [table('failure-table', ['Time', 'Key', 'Reason', 'Stage', 'Class'], rows)];
}

const STAGES: readonly StageName[] = ['download', 'extract', 'ocr', 'index'];

export function stageNodes(stages: Partial<Record<StageName, StageView>>): Node[] {
  const rows = STAGES.map((name) => {
    const s = stages[name];
    const ms = (v: number | undefined): HTMLTableCellElement =>
      v === undefined ? el('td', { class: 'num muted' }, '—') : el('td', { class: 'num', 'data-value': String(v) }, formatMs(v));
    return el('tr', { 'data-stage': name }, el('th', { scope: 'row' }, name), s ? num(s.count) : el('td', { class: 'num muted' }, '0'), ms(s?.p50Ms), ms(s?.p95Ms), ms(s?.p99Ms), ms(s?.meanMs));
  });
  return [table('stage-table', ['Stage', ['Count', 'num'], ['p50', 'num'], ['p95', 'num'], ['p99', 'num'], ['Mean', 'num']], rows)];
}

export function preflightNodes(report: PreflightView | undefined): Node[] {
  if (!report) return [emptyState('Not checked yet')];
  const rows = report.checks.map((c) =>
    el(
      'tr',
      { 'data-check': c.check, 'data-status': c.status },
      el('td', null, c.check),
      el('td', null, el('span', { class: `badge status-${c.status.toLowerCase()}` }, c.status)),
      el('td', { class: 'detail' }, c.detail),
      el('td', { class: 'fix' }, c.fix ?? ''),
    ),
  );
  return [
    el(
      'p',
      { class: 'footnote' },
      el('span', { class: `badge ${report.ok ? 'status-pass' : 'status-fail'}` }, report.ok ? 'OK' : 'Problems'),
      ` Checked at ${formatDateTimeSeconds(report.checkedAt)}`,
    ),
    rows.length === 0 ? emptyState('No checks reported') : table('preflight-table', ['Check', 'Status', 'Detail', 'Fix'], rows),
  ];
}
