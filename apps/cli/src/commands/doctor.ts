import type { Command } from 'commander';
import { failedRequired } from '../doctor/check';
import { runChecks } from '../doctor/run-checks';
import { printJson, printLine, printTable } from '../output';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check what this configuration needs: tfjs backend (and why), GPUs, wasm threads, ONNX Runtime, Redis, database, disk, browser; exit 1 when something needed is missing',
    )
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const checks = await runChecks();
      const failed = failedRequired(checks);
      if (opts.json) printJson({ ok: failed.length === 0, checks });
      else {
        printTable(
          ['CHECK', 'STATUS', 'DETAIL'],
          checks.map((c) => [
            c.name,
            c.required || c.status !== 'fail' ? c.status : `${c.status} (not needed)`,
            c.summary,
          ]),
        );
        if (failed.length)
          printLine(`\n${failed.length} needed check(s) failed: ${failed.map((c) => c.name).join(', ')}`);
      }
      if (failed.length) process.exitCode = 1;
    });
}
