import cliProgress from 'cli-progress';
import type { ProgressUpdate } from '@captioner/core';

function formatFigures(figures: Record<string, number> | undefined): string {
  if (!figures) return '';
  const parts: string[] = [];
  if (figures.loss !== undefined) parts.push(`loss ${figures.loss.toFixed(3)}`);
  if (figures.tokensPerSecond !== undefined) parts.push(`${Math.round(figures.tokensPerSecond)} tok/s`);
  if (figures.imagesPerSecond !== undefined) parts.push(`${figures.imagesPerSecond.toFixed(1)} img/s`);
  if (figures.etaSeconds !== undefined) parts.push(`eta ${Math.round(figures.etaSeconds)}s`);
  return parts.join(', ');
}

/**
 * Shows the progress of one task after another: a bar on a terminal, a line per quarter otherwise
 * (logs and CI keep a readable trace).
 */
export class ProgressView {
  private bar: cliProgress.SingleBar | undefined;
  private label = '';
  private lastQuarter = -1;
  private readonly tty = Boolean(process.stderr.isTTY);

  update(label: string, update: ProgressUpdate): void {
    if (label !== this.label) this.start(label);
    const percent = Math.round(Math.max(0, Math.min(1, update.fraction)) * 100);
    const detail = [update.message, formatFigures(update.figures)].filter(Boolean).join(' · ');
    if (this.tty) {
      this.bar?.update(percent, { detail });
      return;
    }
    const quarter = Math.floor(percent / 25);
    if (quarter !== this.lastQuarter) {
      this.lastQuarter = quarter;
      process.stderr.write(`${label}: ${percent}%${detail ? ` (${detail})` : ''}\n`);
    }
  }

  private start(label: string): void {
    this.stop();
    this.label = label;
    this.lastQuarter = -1;
    if (this.tty) {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${label.padEnd(22)} [{bar}] {percentage}% {detail}`,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(100, 0, { detail: '' });
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.label = '';
  }
}
