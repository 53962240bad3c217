import type { DashboardResponse, PartError, PreflightView } from '../../src/web/api-types.js';
import { ApiFailure, apiJson, errorMessage } from './api.js';
import { ThroughputChart } from './dashboard-chart.js';
import { breakerNodes, dlqNodes, failureNodes, isPartError, partErrorNode, preflightNodes, stageNodes, workerNodes } from './dashboard-tables.js';
import { byTestId, render, setText } from './dom.js';
import { formatClock, formatDecimal, formatInt } from './format.js';

/** The dashboard: polls /api/dashboard every 2 s and updates the page in place. */

const POLL_MS = 2000;

const statusEl = byTestId('connection-status');
const chart = new ThroughputChart(byTestId('throughput-chart'));
let preflight: PreflightView | undefined;
let stopped = false;

/** Sets one stat tile: the number (raw in data-value), or "unavailable" with the error. */
function setTile(id: string, value: number | PartError): void {
  const tile = byTestId(id);
  const valueEl = tile.querySelector('.tile-value');
  const noteEl = tile.querySelector('.tile-note');
  if (isPartError(value)) {
    tile.removeAttribute('data-value');
    tile.classList.add('is-unavailable');
    tile.setAttribute('title', value.error.message);
    setText(valueEl, 'unavailable');
    setText(noteEl, value.error.message);
    return;
  }
  tile.classList.remove('is-unavailable');
  tile.removeAttribute('title');
  tile.setAttribute('data-value', String(value));
  setText(valueEl, formatInt(value));
  setText(noteEl, '');
}

/** Renders `nodes` into the body of a card, skipping the work when its input did not change. */
const lastInput = new Map<string, string>();
function renderCard(id: string, input: unknown, build: () => Node[]): void {
  const key = JSON.stringify(input) ?? '';
  if (lastInput.get(id) === key) return;
  lastInput.set(id, key);
  const card = byTestId(id);
  const body = card.querySelector('.card-body') ?? card;
  render(body, ...build());
}

function newest(a: PreflightView | undefined, b: PreflightView | undefined): PreflightView | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b.checkedAt) >= Date.parse(a.checkedAt) ? b : a;
}

function renderPreflight(): void {
  renderCard('preflight', preflight ?? null, () => preflightNodes(preflight));
}

function show(d: DashboardResponse): void {
  const now = Date.parse(d.generatedAt) || Date.now();
  setText(byTestId('mode'), d.mode);
  const queueName = byTestId('queue-name');
  setText(queueName, d.queueName);
  queueName.setAttribute('title', d.queueName);

  setTile('documents', d.documents);
  const t = d.throughput;
  setTile('per-minute', t.perMinute);
  setTile('processed-total', t.totals.indexed + t.totals.ignored + t.totals.deadLettered);
  if (isPartError(d.queue)) {
    for (const id of ['queue-visible', 'queue-in-flight', 'queue-delayed']) setTile(id, d.queue);
  } else {
    setTile('queue-visible', d.queue.visible);
    setTile('queue-in-flight', d.queue.inFlight);
    setTile('queue-delayed', d.queue.delayed);
  }
  setTile('dlq-depth', isPartError(d.dlq) ? d.dlq : d.dlq.depth);

  chart.update(t);
  const avg = byTestId('throughput-average');
  avg.setAttribute('data-value', String(t.averagePerMinute));
  setText(avg.querySelector('.avg-value'), formatDecimal(t.averagePerMinute));
  setText(
    byTestId('throughput-totals'),
    `Since start: ${formatInt(t.totals.indexed)} indexed · ${formatInt(t.totals.ignored)} ignored · ` +
      `${formatInt(t.totals.deadLettered)} dead-lettered · ${formatInt(t.totals.released)} released`,
  );

  renderCard('dlq-reasons', d.dlq, () => dlqNodes(d.dlq));
  renderCard('breakers', d.workers.map((w) => [w.workerId, w.breakers]), () => breakerNodes(d.workers));
  renderCard('workers', [d.workers, d.generatedAt], () => workerNodes(d.workers, now));
  renderCard('failures', d.failures, () => failureNodes(d.failures));
  renderCard('stages', d.stages, () => stageNodes(d.stages));
  preflight = newest(preflight, d.preflight);
  renderPreflight();

  const updated = byTestId('updated-at');
  updated.setAttribute('datetime', d.generatedAt);
  setText(updated, formatClock(d.generatedAt));
}

function setConnection(error: string | undefined): void {
  statusEl.classList.toggle('is-error', error !== undefined);
  statusEl.hidden = error === undefined;
  setText(statusEl, error === undefined ? '' : `Connection problem: ${error} — retrying every ${POLL_MS / 1000} s`);
}

async function poll(): Promise<void> {
  try {
    const d = await apiJson<DashboardResponse>('/api/dashboard', { timeoutMs: 10_000 });
    show(d);
    setConnection(undefined);
  } catch (err) {
    if (err instanceof ApiFailure && err.redirecting) {
      stopped = true;
      return;
    }
    setConnection(errorMessage(err));
  } finally {
    if (!stopped) setTimeout(() => void poll(), POLL_MS);
  }
}

const recheck = byTestId<HTMLButtonElement>('preflight-recheck');
recheck.addEventListener('click', () => {
  void (async () => {
    recheck.disabled = true;
    setText(recheck, 'Checking…');
    const status = byTestId('preflight-status');
    setText(status, '');
    try {
      preflight = newest(preflight, await apiJson<PreflightView>('/api/preflight', { method: 'POST', timeoutMs: 60_000 }));
      renderPreflight();
    } catch (err) {
      if (!(err instanceof ApiFailure && err.redirecting)) render(status, partErrorNode({ error: { code: 'preflight', message: errorMessage(err) } }));
    } finally {
      recheck.disabled = false;
      setText(recheck, 'Re-check');
    }
  })();
});

void poll();
