import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { NotFoundError } from '@captioner/core';
import { parseScoreFile, scoreCaptions } from '@captioner/metrics';
import { printJson, printTable } from '../output';

export function registerScoreCommand(program: Command): void {
  program
    .command('score <file>')
    .description('score captions as coco-caption does: {"refs": {"id": ["…"]}, "cands": {"id": "…"}}')
    .option('--json', 'print one JSON object with Bleu_1…Bleu_4, ROUGE_L, CIDEr')
    .option('--per-image', 'with --json: include per-image BLEU-4, ROUGE-L and CIDEr-D')
    .action(async (file: string, opts) => {
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch {
        throw new NotFoundError(`score file not found: ${file}`);
      }
      const scores = scoreCaptions(parseScoreFile(text, file));
      if (opts.json) {
        printJson(opts.perImage ? { ...scores.corpus, perImage: scores.perImage } : scores.corpus);
        return;
      }
      const keys = Object.keys(scores.corpus) as Array<keyof typeof scores.corpus>;
      printTable(keys, [keys.map((k) => scores.corpus[k].toFixed(6))]);
    });
}
