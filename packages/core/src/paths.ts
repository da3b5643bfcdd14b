import path from 'node:path';

/**
 * Where every artifact lives under CAPTIONER_HOME. All stages and machines compute paths here,
 * so a shared volume mounted at the same CAPTIONER_HOME works across machines.
 */
export function artifactPaths(home: string) {
  return {
    home,
    datasetsDir: path.join(home, 'datasets'),
    /** Imported data set: manifest, report and vocabulary. */
    datasetDir: (datasetId: string) => path.join(home, 'datasets', datasetId),
    runDir: (runId: string) => path.join(home, 'runs', runId),
    /** The vocabulary a run was trained with (built from the train split). */
    vocabulary: (runId: string) => path.join(home, 'runs', runId, 'vocabulary.json'),
    /** Preprocessed image shard i of a run. */
    imageShard: (runId: string, shard: number) =>
      path.join(home, 'runs', runId, 'images', `shard-${String(shard).padStart(5, '0')}.bin`),
    /** Encoder features of image shard i. */
    featureShard: (runId: string, shard: number) =>
      path.join(home, 'runs', runId, 'features', `shard-${String(shard).padStart(5, '0')}.bin`),
    checkpointsDir: (runId: string) => path.join(home, 'runs', runId, 'checkpoints'),
    checkpointDir: (runId: string, step: number) =>
      path.join(home, 'runs', runId, 'checkpoints', `step-${String(step).padStart(8, '0')}`),
    exportDir: (runId: string) => path.join(home, 'runs', runId, 'export'),
    /** The encoder a run's features were computed with (frozen weights). */
    encoderDir: (runId: string) => path.join(home, 'runs', runId, 'encoder'),
    /** Pretrained encoder weights registered under `name` (`captioner encoder import|fetch`). */
    encoderWeights: (name: string, format: 'pth' | 'safetensors') =>
      path.join(home, 'encoders', name, `weights.${format}`),
    /** Where `captioner encoder fetch` downloads to before the file is checked and moved into place. */
    encoderDownloadsDir: path.join(home, 'encoders', '.downloads'),
  };
}

export type ArtifactPaths = ReturnType<typeof artifactPaths>;
