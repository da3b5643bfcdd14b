/**
 * For wasm-threads.test.ts: initialises wasm (threaded when the machine has several cores), runs
 * one product, prints the thread count and returns — the process must then exit on its own.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../init-backend';

await initBackend('wasm');
const product = tf.matMul(tf.ones([64, 128]), tf.ones([128, 32]));
process.stdout.write(`threads ${getThreadsCount()} sum ${product.sum().dataSync()[0]}\n`);
