import { artifactPaths } from '@captioner/core';
import type { BackendName } from '@captioner/core';
import type { DbClient } from '@captioner/db';
import type { TorchvisionArchitecture } from '@captioner/model';
import { downloadChecked } from './download';
import { registerWeightsFile } from './encoder-weights';

/**
 * `captioner encoder fetch`: downloads a published weights file (`torchvisionWeightsFile(arch)`), checks
 * the SHA-256 prefix its name carries, and registers it under `name` (moved, not copied, into place).
 */
export async function fetchEncoderWeights(
  db: DbClient,
  home: string,
  input: {
    arch: TorchvisionArchitecture;
    name: string;
    published: { url: string; fileName: string; sha256Prefix: string };
    backend?: BackendName;
    onProgress?: (received: number, total: number | undefined) => void;
  },
) {
  const { url, fileName, sha256Prefix } = input.published;
  const download = await downloadChecked({
    url,
    dir: artifactPaths(home).encoderDownloadsDir,
    sha256Prefix,
    offlineHint: `without a network, download it elsewhere and run: captioner encoder import ${fileName} --arch ${input.arch} --name ${input.name}`,
    onProgress: input.onProgress,
  });
  return registerWeightsFile(db, home, {
    file: download.file,
    arch: input.arch,
    name: input.name,
    source: url,
    backend: input.backend,
    move: true,
  });
}
