import type { StateDict } from './state-dict';

/**
 * Writes a state dict as a `.safetensors` file (float32 tensors, in the dict's order): what
 * `safetensors.torch.save_file` writes, so that weights made or fine-tuned here load in PyTorch too.
 */
export function encodeSafetensors(stateDict: StateDict): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, tensor] of stateDict) {
    const bytes = tensor.data.length * 4;
    header[name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // The format pads the header with spaces to a multiple of 8 bytes (so tensors are aligned).
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const tensor of stateDict.values()) {
    // Copy through bytes: the output offset need not be 4-aligned for a Float32Array view.
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), at);
    at += tensor.data.byteLength;
  }
  return out;
}
