import { systemClock, type Clock } from '../ports/clock.port.js';
import type { Logger } from './logger.js';

/**
 * EC2 termination notices from the instance metadata service (IMDSv2 only): a Spot interruption
 * (`spot/instance-action`, about two minutes ahead) and an Auto Scaling scale-in
 * (`autoscaling/target-lifecycle-state` = `Terminated`). A rebalance recommendation is only an
 * early warning: it is logged and counted, and does not drain the worker.
 */
export type InstanceNoticeKind = 'spot-interruption' | 'asg-termination';

export interface InstanceNotice {
  readonly kind: InstanceNoticeKind;
  /** Spot only: `terminate`, `stop` or `hibernate`. */
  readonly action?: string;
  /** Spot only: when the instance action happens (RFC 3339, UTC). */
  readonly time?: string;
  readonly detail: string;
}

export interface RebalanceRecommendation {
  readonly noticeTime: string;
}

export interface InstanceNoticeWatcherOptions {
  readonly logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Default http://169.254.169.254 (tests point it at amazon-ec2-metadata-mock). */
  readonly endpoint?: string;
  readonly pollIntervalMs?: number;
  /** Session token lifetime asked for (1–21600 s); the token is renewed before it runs out. */
  readonly tokenTtlSeconds?: number;
  /** detect()'s token request: off EC2 the link-local address often swallows packets. */
  readonly detectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
  readonly clock?: Clock;
  /** Called once, on the first rebalance recommendation, for metrics. */
  readonly onRebalance?: (recommendation: RebalanceRecommendation) => void;
}

const paths = {
  token: '/latest/api/token',
  spot: '/latest/meta-data/spot/instance-action',
  lifecycle: '/latest/meta-data/autoscaling/target-lifecycle-state',
  rebalance: '/latest/meta-data/events/recommendations/rebalance',
} as const;

/** Target lifecycle states that mean the instance is being terminated (plain or from a warm pool). */
export function isTerminatingLifecycleState(state: string): boolean {
  return state === 'Terminated' || state === 'Warmed:Terminated';
}

/** The `spot/instance-action` document, or undefined when it is not one. */
export function parseInstanceAction(body: string): { action: string; time: string } | undefined {
  try {
    const doc = JSON.parse(body) as { action?: unknown; time?: unknown } | null;
    if (typeof doc?.action !== 'string' || typeof doc.time !== 'string') return undefined;
    return { action: doc.action, time: doc.time };
  } catch {
    return undefined;
  }
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

export class InstanceNoticeWatcher {
  private readonly endpoint: string;
  private readonly pollIntervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly tokenTtlSeconds: number;
  private readonly fetch: typeof globalThis.fetch;
  private readonly clock: Clock;
  private readonly stopping = new AbortController();
  private token: { value: string; renewAt: number } | undefined;
  private tokenRequest: Promise<string> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private started = false;
  private stopped: Promise<void> | undefined;
  private readonly reported = new Set<InstanceNoticeKind>();
  private rebalanceSeen = false;
  private lifecycleState: string | undefined;
  private failedPolls = 0;
  private readonly counts = { spotInterruptions: 0, asgTerminations: 0, rebalanceRecommendations: 0 };

  constructor(private readonly options: InstanceNoticeWatcherOptions) {
    this.endpoint = (options.endpoint ?? 'http://169.254.169.254').replace(/\/+$/, '');
    this.pollIntervalMs = options.pollIntervalMs ?? 5000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 2000;
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 21_600;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.clock = options.clock ?? systemClock;
  }

  get spotInterruptions(): number {
    return this.counts.spotInterruptions;
  }
  get asgTerminations(): number {
    return this.counts.asgTerminations;
  }
  get rebalanceRecommendations(): number {
    return this.counts.rebalanceRecommendations;
  }

  /** Whether an IMDSv2 answers: one token request, false within about detectTimeoutMs when not. */
  async detect(): Promise<boolean> {
    try {
      await this.sessionToken(this.options.detectTimeoutMs ?? 1000);
      this.options.logger.info({ event: 'imds_available', endpoint: this.endpoint });
      return true;
    } catch (err) {
      this.options.logger.info({ event: 'imds_unavailable', endpoint: this.endpoint, reason: reason(err) });
      return false;
    }
  }

  /** Polls now and every pollIntervalMs until stop(); each notice kind is reported once. */
  start(onNotice: (notice: InstanceNotice) => void): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const tick = (): void => {
      this.polling = this.poll(onNotice).finally(() => {
        this.polling = undefined;
        if (this.stopped) return;
        this.timer = setTimeout(tick, this.pollIntervalMs);
        this.timer.unref();
      });
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  /** Stops polling and aborts a request under way; idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      clearTimeout(this.timer);
      this.stopping.abort();
      await this.polling;
    })();
    return this.stopped;
  }

  private async poll(onNotice: (notice: InstanceNotice) => void): Promise<void> {
    const failures: string[] = [];
    const checks = [
      ['spot', () => this.checkSpot(onNotice)],
      ['lifecycle', () => this.checkLifecycle(onNotice)],
      ['rebalance', () => this.checkRebalance()],
    ] as const;
    try {
      await this.sessionToken(this.requestTimeoutMs); // without a token no check can succeed: one failure, not three
    } catch (err) {
      if (this.stopped) return;
      failures.push(`token: ${reason(err)}`);
    }
    // One after another: three small requests per interval, and IMDS throttles bursts.
    for (const [name, check] of failures.length === 0 ? checks : []) {
      if (this.stopped) return;
      try {
        await check();
      } catch (err) {
        if (this.stopped) return;
        failures.push(`${name}: ${reason(err)}`);
      }
    }
    const { logger } = this.options;
    if (failures.length > 0) {
      this.failedPolls++;
      const entry = { event: 'imds_poll_failed', endpoint: this.endpoint, failedPolls: this.failedPolls, errors: failures };
      // Warn when a streak begins; the rest of it only at debug, so a dead IMDS does not flood the log.
      if (this.failedPolls === 1) logger.warn(entry);
      else logger.debug(entry);
    } else if (this.failedPolls > 0) {
      logger.info({ event: 'imds_poll_recovered', failedPolls: this.failedPolls });
      this.failedPolls = 0;
    }
  }

  private async checkSpot(onNotice: (notice: InstanceNotice) => void): Promise<void> {
    if (this.reported.has('spot-interruption')) return;
    const answer = await this.get(paths.spot);
    if (answer.status === 404) return;
    const doc = answer.status === 200 ? parseInstanceAction(answer.body) : undefined;
    if (!doc) throw new Error(`HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
    this.counts.spotInterruptions++;
    this.options.logger.warn({ event: 'spot_interruption', action: doc.action, time: doc.time });
    this.report(onNotice, { kind: 'spot-interruption', ...doc, detail: `spot instance-action ${doc.action} at ${doc.time}` });
  }

  private async checkLifecycle(onNotice: (notice: InstanceNotice) => void): Promise<void> {
    if (this.reported.has('asg-termination')) return;
    const answer = await this.get(paths.lifecycle);
    if (answer.status === 404) return; // not in an Auto Scaling group (or no lifecycle state yet)
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
    const state = answer.body.trim();
    if (state !== this.lifecycleState) {
      this.options.logger.debug({ event: 'asg_target_lifecycle_state', state, previous: this.lifecycleState });
      this.lifecycleState = state;
    }
    if (!isTerminatingLifecycleState(state)) return;
    this.counts.asgTerminations++;
    this.options.logger.warn({ event: 'asg_termination', state });
    this.report(onNotice, { kind: 'asg-termination', detail: `target-lifecycle-state ${state}` });
  }

  /** Once per watcher: the recommendation stays up until the instance goes (the mock even re-dates it). */
  private async checkRebalance(): Promise<void> {
    if (this.rebalanceSeen) return;
    const answer = await this.get(paths.rebalance);
    if (answer.status === 404) return;
    let noticeTime: unknown;
    try {
      noticeTime = (JSON.parse(answer.body) as { noticeTime?: unknown } | null)?.noticeTime;
    } catch {
      // reported below
    }
    if (answer.status !== 200 || typeof noticeTime !== 'string') throw new Error(`HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
    this.rebalanceSeen = true;
    this.counts.rebalanceRecommendations++;
    this.options.logger.info({ event: 'rebalance_recommendation', noticeTime });
    try {
      this.options.onRebalance?.({ noticeTime });
    } catch (err) {
      this.options.logger.warn({ event: 'rebalance_handler_failed', reason: reason(err) });
    }
  }

  private report(onNotice: (notice: InstanceNotice) => void, notice: InstanceNotice): void {
    this.reported.add(notice.kind);
    try {
      onNotice(notice);
    } catch (err) {
      this.options.logger.warn({ event: 'instance_notice_handler_failed', kind: notice.kind, reason: reason(err) });
    }
  }

  /** This instance's id (to complete an Auto Scaling lifecycle action for it). */
  async instanceId(): Promise<string> {
    const answer = await this.get('/latest/meta-data/instance-id');
    if (answer.status !== 200 || answer.body.trim() === '') throw new Error(`instance-id: HTTP ${answer.status}`);
    return answer.body.trim();
  }

  /** A metadata GET with the session token; a 401 (token expired or revoked) renews it once. */
  private async get(path: string): Promise<Answer> {
    const timeoutMs = this.requestTimeoutMs;
    const send = async (): Promise<Answer> =>
      this.request(path, { headers: { 'x-aws-ec2-metadata-token': await this.sessionToken(timeoutMs) } }, timeoutMs);
    const first = await send();
    if (first.status !== 401) return first;
    this.token = undefined;
    return send();
  }

  private sessionToken(timeoutMs: number): Promise<string> {
    if (this.token && this.clock.now() < this.token.renewAt) return Promise.resolve(this.token.value);
    this.tokenRequest ??= this.requestToken(timeoutMs).finally(() => (this.tokenRequest = undefined));
    return this.tokenRequest;
  }

  private async requestToken(timeoutMs: number): Promise<string> {
    const ttl = this.tokenTtlSeconds;
    const requestedAt = this.clock.now();
    const answer = await this.request(paths.token, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) } }, timeoutMs);
    const value = answer.body.trim();
    if (answer.status !== 200 || value === '') throw new Error(`token: HTTP ${answer.status}`);
    // Renew with a quarter of the lifetime (at most a minute) left, so a poll never sends a dying token.
    this.token = { value, renewAt: requestedAt + ttl * 1000 - Math.min(60_000, (ttl * 1000) / 4) };
    return value;
  }

  private async request(path: string, init: RequestInit, timeoutMs: number): Promise<Answer> {
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(timeoutMs)]);
    const response = await this.fetch(`${this.endpoint}${path}`, { ...init, signal, redirect: 'error' });
    return { status: response.status, body: await response.text() };
  }
}

/** A short reason for a log line: `ECONNREFUSED`, `TimeoutError`, `HTTP 500: …`. */
function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: unknown } | undefined;
  if (typeof cause?.code === 'string') return cause.code;
  return err.name === 'TimeoutError' || err.name === 'AbortError' ? err.name : err.message;
}
