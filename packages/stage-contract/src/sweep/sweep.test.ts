import { ConfigError } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import { shouldPruneAtEpoch } from './median-pruning';
import { applyAssignment, expandGrid, parseGridAxis, sampleGrid, validateSweep } from './sweep-grid';

describe('sweep grid', () => {
  it('parses typed values and expands the cartesian product', () => {
    const axes = ['training.learningRate=0.001,0.0005', 'training.epochs=1,2'].map(parseGridAxis);
    expect(axes[0].values).toEqual([0.001, 0.0005]);
    const grid = expandGrid(axes);
    expect(grid).toHaveLength(4);
    expect(grid[1]).toEqual({ 'training.learningRate': 0.001, 'training.epochs': 2 });
  });

  it('refuses a malformed argument and a repeated key', () => {
    expect(() => parseGridAxis('training.epochs')).toThrow(/expected key=v1,v2/);
    expect(() => expandGrid([parseGridAxis('a=1'), parseGridAxis('a=2')])).toThrow(/a: given twice/);
  });

  it('samples the same distinct configurations for the same seed', () => {
    const grid = expandGrid([parseGridAxis('x=1,2,3,4,5'), parseGridAxis('y=a,b')]);
    const a = sampleGrid(grid, 4, 7);
    expect(a).toEqual(sampleGrid(grid, 4, 7));
    expect(new Set(a.map((c) => JSON.stringify(c))).size).toBe(4);
    expect(sampleGrid(grid, 99, 1)).toHaveLength(10);
  });

  it('sets dotted keys without changing the base', () => {
    const base = { training: { epochs: 3 } };
    expect(applyAssignment(base, { 'training.epochs': 1, 'model.x': 2 })).toEqual({
      training: { epochs: 1 },
      model: { x: 2 },
    });
    expect(base.training.epochs).toBe(3);
  });

  it('validates against the run config schema with a one-line error naming the key', () => {
    expect(() => validateSweep({}, [{ 'training.epochs': 1 }])).not.toThrow();
    const unknown = () => validateSweep({}, [{ 'training.epocs': 1 }]);
    expect(unknown).toThrow(ConfigError);
    expect(unknown).toThrow(/^sweep grid: training\.epocs: unknown key$/);
    expect(() => validateSweep({}, [{ 'training.epochs': 'many' }])).toThrow(
      /^sweep grid: training\.epochs: /,
    );
  });
});

describe('median pruning', () => {
  it('prunes below the median of peers at that epoch, never without peers', () => {
    expect(shouldPruneAtEpoch(0.5, [])).toBe(false);
    expect(shouldPruneAtEpoch(0.5, [0.4, 0.6, 0.9])).toBe(true);
    expect(shouldPruneAtEpoch(0.6, [0.4, 0.6, 0.9])).toBe(false);
    expect(shouldPruneAtEpoch(0.5, [0.4, 0.7])).toBe(true);
    expect(shouldPruneAtEpoch(0.1, [0.9], 2)).toBe(false);
  });
});
