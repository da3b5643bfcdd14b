/** Features of `count` images, row-major: pooled [count, P], grid [count, G*C] (attention models only). */
export interface DecodeFeatures {
  pooled: Float32Array;
  grid?: Float32Array;
  count: number;
}

export interface DecodeOptions {
  /** Beams per image; 1 is greedy decoding. @defaultValue 1 */
  beamSize?: number;
  /** Longest caption in words (`<end>` excluded). @defaultValue the model's `decoder.maxLength` */
  maxLength?: number;
  /**
   * Length normalisation exponent alpha: beams are ranked by logProb / length^alpha, where length counts
   * the words plus `<end>` when produced. 0 ranks by total log-probability. @defaultValue 0
   */
  lengthPenalty?: number;
  /**
   * Bans repeating any n-gram of this many words within a caption (the word that would complete an
   * n-gram already produced is never chosen); 0 allows repeats. @defaultValue 0
   */
  noRepeatNgramSize?: number;
  /**
   * Return each caption's attention weights (`Beam.attention`); models without attention return none.
   * Off by default: evaluation does not need them and they cost a transfer per step. @defaultValue false
   */
  attention?: boolean;
}

/** One decoded caption with its scores. */
export interface Beam {
  /** Word ids, no `<start>`/`<end>`/`<pad>`; never empty. */
  tokens: number[];
  /** Sum of the log-probabilities of the words (and of `<end>` when finished). */
  logProb: number;
  /** Ranking score after length normalisation. */
  score: number;
  /** False when the beam reached `maxLength` without producing `<end>`. */
  finished: boolean;
  /**
   * With `DecodeOptions.attention` on a model with attention: per word of `tokens`, the weights over the
   * encoder's grid positions (row-major, summing to 1) when that word was chosen.
   */
  attention?: number[][];
}
