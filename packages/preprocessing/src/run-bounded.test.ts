import { describe, expect, it } from 'vitest';
import { runBounded } from './run-bounded';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('runBounded', () => {
  it('runs every index once with at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await runBounded(10, 3, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await tick();
      seen.push(i);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
  });

  it('stops starting tasks after abort, and rejects with the first task error', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    await runBounded(
      10,
      2,
      async (i) => {
        started.push(i);
        if (i === 3) controller.abort();
        await tick();
      },
      controller.signal,
    );
    expect(started).toEqual([0, 1, 2, 3]);

    await expect(
      runBounded(5, 2, async (i) => {
        await tick();
        if (i === 1) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
