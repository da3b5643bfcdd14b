// STUB (to be replaced by the metrics work): a plain lower-case split, not yet coco-caption's PTB tokenizer.
export function ptbTokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[.,!?;:]/g, ' ')
    .split(/\s+/)
    .filter((t) => t.length > 0);
}

export function ptbTokenizeToString(text: string): string {
  return ptbTokenize(text).join(' ');
}
