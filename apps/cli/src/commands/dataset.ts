import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { InvalidInputError } from '@captioner/core';
import { getDataset, listDatasets } from '@captioner/db';
import {
  IMPORT_FORMATS,
  combineManifests,
  importDataset,
  readManifest,
  synthesizeShapes,
} from '@captioner/dataset';
import type { ImportFormat, ImportReport } from '@captioner/dataset';
import { withContext } from '../context';
import { jsonColumn, printJson, printLine, printTable } from '../output';
import { intOption } from '../options';
import { ProgressView } from '../progress';
import { registerDataset } from '../services/datasets';

export function registerDatasetCommands(program: Command): void {
  const dataset = program.command('dataset').description('generate, import and inspect data sets');

  dataset
    .command('synth')
    .description('write the deterministic synthetic "shapes" data set and register it')
    .requiredOption('--out <dir>', 'output directory')
    .option('--images <n>', 'number of images', intOption, 1000)
    .option('--seed <s>', 'random seed (same seed, same bytes)', intOption, 1)
    .option('--image-size <px>', 'image side in pixels', intOption, 96)
    .option('--name <name>', 'name to register it under (default: the directory name)')
    .option('--no-register', 'only write the files')
    .option('--json', 'print the result as JSON')
    .action(async (opts) =>
      withContext(async (ctx) => {
        const view = new ProgressView();
        const { manifest } = await synthesizeShapes({
          outDir: opts.out,
          images: opts.images,
          seed: opts.seed,
          imageSize: opts.imageSize,
          onProgress: (u) => view.update('synthesize', u),
        });
        view.stop();
        const name = opts.name ?? path.basename(path.resolve(opts.out));
        const record = opts.register
          ? await registerDataset((await ctx.db()).client, ctx.config.home, {
              name,
              format: 'shapes',
              sourcePath: opts.out,
              manifest,
              report: null,
            })
          : null;
        if (opts.json)
          printJson({ out: path.resolve(opts.out), images: manifest.items.length, dataset: record });
        else
          printLine(
            `wrote ${manifest.items.length} images to ${path.resolve(opts.out)}${record ? `; registered as ${record.name} (${record.id})` : ''}`,
          );
      }),
    );

  dataset
    .command('import <path>')
    .description('validate and register a data set (annotation file or directory)')
    .addOption(
      new Option('--format <format>', 'input format').choices([...IMPORT_FORMATS]).makeOptionMandatory(),
    )
    .requiredOption('--name <name>', 'name to register it under')
    .option('--images-root <dir>', 'where the images are (default depends on the format)')
    .option('--strict', 'fail the whole import on the first problem')
    .option('--no-check-images', 'do not open every image to check it')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, opts) =>
      withContext(async (ctx) => {
        const view = new ProgressView();
        const { manifest, report } = await importDataset({
          path: input,
          format: opts.format as ImportFormat,
          name: opts.name,
          imagesRoot: opts.imagesRoot,
          strict: Boolean(opts.strict),
          checkImages: opts.checkImages,
          onProgress: (u) => view.update('import', u),
        });
        view.stop();
        const record = await registerDataset((await ctx.db()).client, ctx.config.home, {
          name: opts.name,
          format: opts.format,
          sourcePath: input,
          manifest,
          report,
        });
        if (opts.json) {
          printJson({ dataset: record.id, name: record.name, items: manifest.items.length, report });
          return;
        }
        printLine(
          `registered ${record.name} (${record.id}): ${manifest.items.length} images, ${record.captionCount} captions`,
        );
        printReportSummary(report);
      }),
    );

  dataset
    .command('combine <name> <datasets...>')
    .description(
      'register one data set made of several registered ones: splits kept (val and test stay apart), ids prefixed by data set',
    )
    .option('--train-only <names>', 'comma-separated data sets of which only the training items are used')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, sourceNames: string[], opts) =>
      withContext(async (ctx) => {
        const db = (await ctx.db()).client;
        const trainOnly = new Set(
          String(opts.trainOnly ?? '')
            .split(',')
            .map((n) => n.trim())
            .filter(Boolean),
        );
        for (const only of trainOnly)
          if (!sourceNames.includes(only))
            throw new InvalidInputError(`--train-only: '${only}' is not one of the data sets combined`);
        const sources = [];
        for (const sourceName of sourceNames) {
          const record = await getDataset(db, sourceName);
          sources.push({
            name: record.name,
            manifest: await readManifest(record.manifestPath),
            trainOnly: trainOnly.has(record.name),
          });
        }
        const manifest = combineManifests(name, sources);
        const record = await registerDataset(db, ctx.config.home, {
          name,
          format: 'combined',
          sourcePath: manifest.imagesRoot,
          manifest,
          report: null,
        });
        const splits = jsonColumn<Record<string, number>>(record.splits, {});
        if (opts.json) {
          printJson({
            dataset: record.id,
            name: record.name,
            items: manifest.items.length,
            splits,
            sources: sourceNames,
          });
          return;
        }
        printLine(
          `registered ${record.name} (${record.id}): ${manifest.items.length} images (${Object.entries(splits)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}) from ${sourceNames.join(', ')}`,
        );
      }),
    );

  dataset
    .command('list')
    .description('list registered data sets')
    .option('--json', 'print as JSON')
    .action(async (opts) =>
      withContext(async (ctx) => {
        const rows = await listDatasets((await ctx.db()).client);
        if (opts.json) {
          printJson(rows.map((d) => ({ ...d, splits: jsonColumn(d.splits, {}), report: undefined })));
          return;
        }
        printTable(
          ['ID', 'NAME', 'FORMAT', 'IMAGES', 'CAPTIONS', 'PROBLEMS'],
          rows.map((d) => [d.id, d.name, d.format, d.itemCount, d.captionCount, d.problemCount]),
        );
      }),
    );

  dataset
    .command('show <name>')
    .description('show a data set and its import report')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts) =>
      withContext(async (ctx) => {
        const d = await getDataset((await ctx.db()).client, name);
        const report = jsonColumn<ImportReport | { problems: [] }>(d.report, { problems: [] });
        const splits = jsonColumn<Record<string, number>>(d.splits, {});
        if (opts.json) {
          printJson({ ...d, splits, report });
          return;
        }
        printLine(`${d.name} (${d.id})`);
        printLine(`  format     ${d.format}`);
        printLine(`  source     ${d.sourcePath}`);
        printLine(`  manifest   ${d.manifestPath}`);
        printLine(
          `  images     ${d.itemCount} (${Object.entries(splits)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`,
        );
        printLine(`  captions   ${d.captionCount}`);
        printReportSummary(report as ImportReport);
      }),
    );
}

function printReportSummary(report: Pick<ImportReport, 'problems'>): void {
  if (report.problems.length === 0) {
    printLine('  problems   none');
    return;
  }
  printLine(`  problems   ${report.problems.length}`);
  for (const problem of report.problems.slice(0, 50)) {
    const where = [problem.file, problem.line ? `line ${problem.line}` : undefined].filter(Boolean).join(':');
    printLine(`    ${problem.kind}  ${where}  ${problem.message}`);
  }
  if (report.problems.length > 50) printLine(`    … ${report.problems.length - 50} more (use --json)`);
}
