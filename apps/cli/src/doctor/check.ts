/** One line of `captioner doctor`. */
export interface Check {
  name: string;
  /** ok; warn: works, but worth knowing; fail: broken; skip: not used by this configuration. */
  status: 'ok' | 'warn' | 'fail' | 'skip';
  /** One line for the table. */
  summary: string;
  /** Whether the current configuration needs it: a required check that fails makes doctor exit 1. */
  required: boolean;
  /** Structured facts for --json. */
  details?: Record<string, unknown>;
}

/** The checks that make doctor exit 1: required ones that failed. */
export function failedRequired(checks: readonly Check[]): Check[] {
  return checks.filter((check) => check.required && check.status === 'fail');
}
