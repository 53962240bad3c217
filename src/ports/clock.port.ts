/** Time, injectable so that tests use fake timers instead of sleeps. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
