import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { InvalidInputError } from '@captioner/core/errors';

/** What tfjs hands a kernel, with the backend typed as the wasm one. */
export interface WasmKernelArgs {
  inputs: NamedTensorInfoMap;
  backend: BackendWasm;
  attrs?: NamedAttrMap;
}

/** Kernels written against the wasm backend, cast to tfjs's untyped-backend `KernelFunc`. */
export function wasmKernelFunc(kernel: (args: WasmKernelArgs) => TensorInfo | TensorInfo[]): KernelFunc {
  return kernel as unknown as KernelFunc;
}

/**
 * Views of the wasm heap for a kernel's tensors (no copy). Take them only after the kernel's last
 * `makeOutput`: allocating may grow the heap, which detaches every earlier view.
 */
export function heapFloats(backend: BackendWasm, tensor: TensorInfo): Float32Array {
  if (tensor.dtype !== 'float32')
    throw new InvalidInputError(`expected a float32 tensor, got ${tensor.dtype}`);
  return backend.typedArrayFromHeap(tensor) as Float32Array;
}

export function heapInts(backend: BackendWasm, tensor: TensorInfo): Int32Array {
  if (tensor.dtype !== 'int32') throw new InvalidInputError(`expected an int32 tensor, got ${tensor.dtype}`);
  return backend.typedArrayFromHeap(tensor) as Int32Array;
}

/** Frees an intermediate a kernel made with another kernel function (never an input or output). */
export function disposeIntermediate(backend: BackendWasm, tensor: TensorInfo): void {
  backend.disposeData(tensor.dataId);
}
