import type { DatasetRecordInput } from './repositories/datasets';

/**
 * The record of a data set that a test only needs to exist (no files behind it): one training image
 * with five captions and an empty report, with `overrides` on top.
 */
export function testDatasetRecord(
  name: string,
  overrides: Partial<DatasetRecordInput> = {},
): DatasetRecordInput {
  return {
    name,
    format: 'manifest',
    sourcePath: `/${name}`,
    manifestPath: `/${name}/manifest.json`,
    itemCount: 1,
    captionCount: 5,
    splits: { train: 1, val: 0, test: 0 },
    report: { problems: [] },
    problemCount: 0,
    ...overrides,
  };
}
