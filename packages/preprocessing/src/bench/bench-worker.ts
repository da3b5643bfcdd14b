/**
 * One benchmark process (forked by benchPreprocess with `--import tsx`): on `prepare` it warms up on
 * its first file and says `ready`; on `start` it runs prepareImage over its files, one at a time,
 * and says `done`. It exits when the parent disconnects.
 *
 * `sharp.concurrency(1)` and one image at a time make each process use one core, so the 1-process
 * figure is single-core throughput (comparable with a single-threaded PIL loop) and 2 processes
 * measure how it scales across processes. With sharp's defaults a single process already spreads
 * over every core (libvips threads, plus libuv's four threads when several images are in flight), and
 * 1-vs-2 processes would compare two ways of over-subscribing the same cores.
 */
import { describeError } from '@captioner/core';
import sharp from 'sharp';
import { prepareImage } from '../prepare-image';
import type { ParentMessage, WorkerMessage } from './bench-protocol';

sharp.concurrency(1);

let pending: Extract<ParentMessage, { type: 'prepare' }> | undefined;

function send(message: WorkerMessage): void {
  process.send?.(message);
}

async function run(job: Extract<ParentMessage, { type: 'prepare' }>): Promise<void> {
  for (const file of job.files) await prepareImage(file, job.settings);
  send({ type: 'done', prepared: job.files.length });
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'prepare') {
    pending = message;
    const warmUp =
      message.files.length > 0 ? prepareImage(message.files[0], message.settings) : Promise.resolve();
    warmUp.then(
      () => send({ type: 'ready' }),
      (error: unknown) => send({ type: 'failed', error: describeError(error) }),
    );
  } else if (message.type === 'start' && pending) {
    run(pending).catch((error: unknown) => send({ type: 'failed', error: describeError(error) }));
  }
});
process.on('disconnect', () => process.exit(0));
