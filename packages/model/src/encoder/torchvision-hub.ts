import { InvalidInputError } from '@captioner/core/errors';

/*
 * torchvision's published ImageNet weights (IMAGENET1K_V1, the ones `pretrained=True` always meant) for
 * the encoder kinds that compute what torchvision computes. torch.hub names each file
 * `<arch>-<hash prefix>.pth`, the prefix being the first hex digits of the file's SHA-256, and checks it
 * on download (torch.hub.check_hash); `captioner encoder fetch` checks it the same way.
 */

export const TORCHVISION_ARCHITECTURES = ['resnet18', 'resnet34', 'resnet50'] as const;
export type TorchvisionArchitecture = (typeof TORCHVISION_ARCHITECTURES)[number];

const FILES: Record<TorchvisionArchitecture, string> = {
  resnet18: 'resnet18-f37072fd.pth',
  resnet34: 'resnet34-b627a593.pth',
  resnet50: 'resnet50-0676ba61.pth',
};

/** Where torchvision publishes them; CAPTIONER_TORCHVISION_URL replaces it (a mirror, or a test's server). */
export const TORCHVISION_BASE_URL = 'https://download.pytorch.org/models';

export function isTorchvisionArchitecture(value: string): value is TorchvisionArchitecture {
  return (TORCHVISION_ARCHITECTURES as readonly string[]).includes(value);
}

/** The file torchvision publishes for `arch`, its URL and the SHA-256 prefix its name carries. */
export function torchvisionWeightsFile(
  arch: TorchvisionArchitecture,
  env: NodeJS.ProcessEnv = process.env,
): { fileName: string; url: string; sha256Prefix: string } {
  const fileName = FILES[arch];
  const base = (env.CAPTIONER_TORCHVISION_URL || TORCHVISION_BASE_URL).replace(/\/+$/, '');
  return { fileName, url: `${base}/${fileName}`, sha256Prefix: hashPrefixOf(fileName) };
}

/** torch.hub's rule: the hex digits between the last `-` and the extension. */
export function hashPrefixOf(fileName: string): string {
  const match = /-([a-f0-9]+)\.[a-z]+$/.exec(fileName);
  if (!match) throw new InvalidInputError(`${fileName}: no hash prefix in the file name`);
  return match[1];
}
