import { InvalidInputError } from '@captioner/core/errors';
import { looksLikeLegacyTorch, readPytorchStateDict } from './pytorch-file';
import { looksLikeSafetensors, readSafetensors } from './safetensors';
import type { StateDict } from './state-dict';
import { looksLikeZip } from './zip-reader';

/**
 * A state dict from the bytes of a PyTorch `.pth`/`.pt` file (torch.save's zip format) or a
 * `.safetensors` file, told apart by their first bytes (people rename files freely); a damaged file
 * named `.safetensors` is read as one, so that the error says what is wrong with it. `label` (the file
 * name or URL) starts every error message.
 */
export function parseStateDict(bytes: Uint8Array, label: string): StateDict {
  if (looksLikeZip(bytes)) return readPytorchStateDict(bytes, label);
  if (looksLikeSafetensors(bytes) || /\.safetensors$/i.test(label)) return readSafetensors(bytes, label);
  if (looksLikeLegacyTorch(bytes))
    throw new InvalidInputError(
      `${label}: legacy torch.save format (PyTorch < 1.6) is not read; re-save it with a recent torch: torch.save(torch.load(f), "out.pth")`,
    );
  throw new InvalidInputError(`${label}: neither a PyTorch zip file (.pth/.pt) nor safetensors`);
}
