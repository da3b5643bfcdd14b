import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { listEncoderWeights } from '@captioner/db';
import { TORCHVISION_ARCHITECTURES, torchvisionWeightsFile } from '@captioner/model';
import type { TorchvisionArchitecture } from '@captioner/model';
import { withContext } from '../context';
import { printJson, printLine, printTable } from '../output';
import { positiveIntOption } from '../options';
import { ProgressView } from '../progress';
import { fetchEncoderWeights } from '../services/encoder-fetch';
import { encoderFeatures } from '../services/encoder-features';
import { parseArchitecture, parseWeightsName, registerWeightsFile } from '../services/encoder-weights';

const MB = 1024 * 1024;

export function registerEncoderCommands(program: Command): void {
  const encoder = program
    .command('encoder')
    .description("pretrained encoder weights: import, fetch torchvision's, list, compute features");

  encoder
    .command('import <file>')
    .description(
      'register a PyTorch state dict (.pth/.pt/.safetensors) as encoder weights, copied into CAPTIONER_HOME',
    )
    .addOption(
      new Option('--arch <arch>', 'architecture it belongs to')
        .choices([...TORCHVISION_ARCHITECTURES])
        .makeOptionMandatory(),
    )
    .requiredOption('--name <name>', 'name to register it under (model.encoder.weights=<name>)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts) =>
      withContext(async (ctx) => {
        const { record, created } = await registerWeightsFile((await ctx.db()).client, ctx.config.home, {
          file,
          arch: parseArchitecture(opts.arch),
          name: parseWeightsName(opts.name),
          source: path.resolve(file),
          backend: ctx.config.backend,
        });
        if (opts.json) printJson({ ...record, created });
        else
          printLine(
            `${created ? 'registered' : 'already registered:'} ${record.name} (${record.architecture}, sha256 ${record.sha256.slice(0, 12)}…, ${(record.bytes / MB).toFixed(1)} MB) at ${record.path}`,
          );
      }),
    );

  encoder
    .command('fetch <arch>')
    .description(
      "download torchvision's ImageNet weights for resnet18|resnet34|resnet50, check their hash, register them",
    )
    .option('--name <name>', 'name to register them under (default: the architecture)')
    .option('--json', 'print the result as JSON')
    .action(async (archArgument: string, opts) =>
      withContext(async (ctx) => {
        const arch: TorchvisionArchitecture = parseArchitecture(archArgument);
        const name = parseWeightsName(opts.name ?? arch);
        const published = torchvisionWeightsFile(arch);
        const view = new ProgressView();
        let result;
        try {
          result = await fetchEncoderWeights((await ctx.db()).client, ctx.config.home, {
            arch,
            name,
            published,
            backend: ctx.config.backend,
            onProgress: (received, total) =>
              view.update(`fetch ${published.fileName}`, {
                fraction: total ? received / total : 0,
                message: `${(received / MB).toFixed(1)}${total ? `/${(total / MB).toFixed(1)}` : ''} MB`,
              }),
          });
        } finally {
          view.stop();
        }
        const { record, created } = result;
        if (opts.json) printJson({ ...record, created });
        else
          printLine(
            `${created ? 'fetched and registered' : 'already registered:'} ${record.name} (${arch}, sha256 ${record.sha256.slice(0, 12)}… matches ${published.sha256Prefix}) at ${record.path}`,
          );
      }),
    );

  encoder
    .command('list')
    .description('list registered encoder weights')
    .option('--json', 'print as JSON')
    .action(async (opts) =>
      withContext(async (ctx) => {
        const rows = await listEncoderWeights((await ctx.db()).client);
        if (opts.json) {
          printJson(rows);
          return;
        }
        printTable(
          ['NAME', 'ARCH', 'SHA256', 'MB', 'SOURCE'],
          rows.map((w) => [
            w.name,
            w.architecture,
            w.sha256.slice(0, 12),
            (w.bytes / MB).toFixed(1),
            w.source,
          ]),
        );
      }),
    );

  encoder
    .command('features <images...>')
    .description("print each image's pooled feature vector, in order, with registered encoder weights")
    .requiredOption('--encoder <name>', 'registered encoder weights (captioner encoder list)')
    .option(
      '--image-size <px>',
      'input size (torchvision preset: shorter side to size*256/224, centre crop)',
      positiveIntOption,
      224,
    )
    .option('--json', 'print as JSON')
    .action(async (images: string[], opts) =>
      withContext(async (ctx) => {
        const result = await encoderFeatures((await ctx.db()).client, {
          images,
          encoder: opts.encoder,
          imageSize: opts.imageSize,
          backend: ctx.config.backend,
          onWarning: (message) => process.stderr.write(`captioner: warning: ${message}\n`),
        });
        if (opts.json) {
          printJson(result);
          return;
        }
        process.stderr.write(`encoder ${result.encoder} (${result.architecture}) on ${result.engine}\n`);
        for (const f of result.features)
          printLine(`${f.image}\t${f.pooled.map((v) => v.toPrecision(6)).join(' ')}`);
      }),
    );
}
