import { describe, expect, it } from 'vitest';
import { isTerminatingLifecycleState, parseInstanceAction } from '../../src/runtime/instance-notices.js';

// The watcher itself is tested against amazon-ec2-metadata-mock (test/integration/instance-notices.test.ts).
// These are the answers that mock cannot give: it only ever says InService or Terminated, and
// always sends a well-formed instance-action document. Pure functions: no fake needed.

describe('isTerminatingLifecycleState', () => {
  it('is true for Terminated, also from a warm pool', () => {
    expect(isTerminatingLifecycleState('Terminated')).toBe(true);
    expect(isTerminatingLifecycleState('Warmed:Terminated')).toBe(true);
  });

  it('is false for the states an instance lives on in', () => {
    for (const state of ['InService', 'Standby', 'Detached', 'Warmed:Stopped', 'Warmed:Running', 'Warmed:Hibernated', '']) {
      expect(isTerminatingLifecycleState(state), state).toBe(false);
    }
  });
});

describe('parseInstanceAction', () => {
  it('reads the action and time of every Spot instance action', () => {
    for (const action of ['terminate', 'stop', 'hibernate']) {
      expect(parseInstanceAction(`{"action": "${action}", "time": "2026-11-22T05:00:00Z"}`)).toEqual({ action, time: '2026-11-22T05:00:00Z' });
    }
  });

  it('refuses what is not an instance-action document', () => {
    for (const body of ['', '<html>404</html>', 'null', '[]', '{"action": "terminate"}', '{"action": 1, "time": "2026-11-22T05:00:00Z"}']) {
      expect(parseInstanceAction(body), body).toBeUndefined();
    }
  });
});
