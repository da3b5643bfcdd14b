import { describe, expect, it } from 'vitest';
import { hashPrefixOf, torchvisionWeightsFile } from './torchvision-hub';
import { encodeSafetensors } from '../io/torch/write-safetensors';
import { parseStateDict } from '../io/torch/parse-state-dict';
import type { StateDict } from '../io/torch/state-dict';

describe('torchvision weights files', () => {
  it('names the official URL and the hash prefix of its file name, or the overriding base URL', () => {
    expect(torchvisionWeightsFile('resnet34', {})).toEqual({
      fileName: 'resnet34-b627a593.pth',
      url: 'https://download.pytorch.org/models/resnet34-b627a593.pth',
      sha256Prefix: 'b627a593',
    });
    expect(
      torchvisionWeightsFile('resnet18', { CAPTIONER_TORCHVISION_URL: 'http://127.0.0.1:9/m/' }).url,
    ).toBe('http://127.0.0.1:9/m/resnet18-f37072fd.pth');
    expect(() => hashPrefixOf('resnet18.pth')).toThrow(/resnet18.pth: no hash prefix/);
  });
});

describe('encodeSafetensors', () => {
  it('writes a file the reader gives back tensor for tensor, in order', () => {
    const dict: StateDict = new Map([
      [
        'conv1.weight',
        { dtype: 'float32', shape: [2, 1, 1, 3], data: Float32Array.from([1, -2, 3, 4.5, 5, 6]) },
      ],
      ['bn1.running_var', { dtype: 'float32', shape: [3], data: Float32Array.from([0.25, 1, 7]) }],
    ]);
    const back = parseStateDict(encodeSafetensors(dict), 'x.safetensors');
    expect([...back.keys()]).toEqual(['conv1.weight', 'bn1.running_var']);
    for (const [name, tensor] of dict) {
      expect(back.get(name)?.shape).toEqual(tensor.shape);
      expect([...(back.get(name)?.data ?? [])]).toEqual([...tensor.data]);
    }
  });
});
