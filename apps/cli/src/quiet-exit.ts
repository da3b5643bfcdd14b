// Its own module: main.ts loads it before any command, and output.ts re-exports @captioner/db.
/**
 * Makes a closed stdout or stderr end the command quietly: a reader that stops early (`| head -5`)
 * closes the pipe because it has all it wants, which is not an error worth a stack trace.
 */
export function exitQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
}
