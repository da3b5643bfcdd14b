/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` tasks in flight, in index order.
 * Stops starting new tasks once `signal` is aborted (tasks already running finish); the first task
 * error rejects the whole run after the running tasks settle.
 */
export async function runBounded(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < count && !failure && !signal?.aborted) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const lanes = Math.max(1, Math.min(concurrency, count));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failure) throw failure.error;
}
