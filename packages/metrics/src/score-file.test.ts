import { InvalidInputError } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import { parseScoreFile } from './score-file';

function errorOf(text: string): InvalidInputError {
  try {
    parseScoreFile(text, 'run.json');
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    const e = error as InvalidInputError;
    expect(e.message).not.toContain('\n');
    expect(e.message.startsWith('run.json: ')).toBe(true);
    return e;
  }
  throw new Error('expected an error');
}

describe('parseScoreFile', () => {
  it('reads refs and cands', () => {
    const set = parseScoreFile('{"refs": {"1": ["a dog", "a puppy"]}, "cands": {"1": "a dog"}}', 'run.json');
    expect(set).toEqual({ refs: { '1': ['a dog', 'a puppy'] }, cands: { '1': 'a dog' } });
  });

  it('names the file for malformed JSON', () => {
    expect(errorOf('{"refs": ').message).toMatch(/not valid JSON/);
  });

  it('names the field for wrong shapes', () => {
    expect(errorOf('{"refs": {"1": "a dog"}, "cands": {}}').message).toMatch(/refs\.1/);
    expect(errorOf('{"refs": {"1": ["a dog"]}, "cands": {"1": 3}}').message).toMatch(/cands\.1/);
    expect(errorOf('{"refs": {}}').message).toMatch(/cands/);
    expect(errorOf('[]').message).toMatch(/top level/);
  });

  it('names an id with no references', () => {
    expect(errorOf('{"refs": {"7": []}, "cands": {"7": "x"}}').message).toMatch(
      /refs\.7: image id "7" has no references/,
    );
  });

  it('names a candidate for an unknown id', () => {
    expect(errorOf('{"refs": {"1": ["x"]}, "cands": {"1": "x", "9": "y"}}').message).toMatch(/cands\.9/);
  });
});
