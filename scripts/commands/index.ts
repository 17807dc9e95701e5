import type { Command } from '../cli/command.js';
import { simulateCommand } from './simulate.js';
import { clarityCommand } from './clarity.js';
import { discoverCommand } from './discover.js';
import { runCommand } from './run.js';
import { validateConfigCommand } from './validate-config.js';
import { dossierCommand } from './dossier.js';
import { registerCommand } from './register.js';
import { deadlineCommand } from './deadline.js';
import { scoreCommand } from './score.js';
import { retentionCommand } from './retention.js';
import { holdCommand } from './hold.js';
import { diagnoseCommand } from './diagnose.js';
import { userCommand } from './user.js';
import { inspectionsCommand } from './inspections.js';

// Every `cea` sub-command, in the order `cea help` lists them.
export const commands: Command[] = [
  runCommand,
  discoverCommand,
  validateConfigCommand,
  simulateCommand,
  dossierCommand,
  registerCommand,
  deadlineCommand,
  scoreCommand,
  clarityCommand,
  retentionCommand,
  holdCommand,
  diagnoseCommand,
  inspectionsCommand,
  userCommand,
];
