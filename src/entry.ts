import { stopCoverageUnderSetuid } from './setuid-guard.js';
import { takeHandoff } from './exec/handoff.js';
import { StdioWatch } from './exec/stdio.js';

stopCoverageUnderSetuid();
// Before any module that might touch process.stdout and friends is evaluated.
const stdio = new StdioWatch();
const handoff = takeHandoff(process.env, process.getuid!() !== process.geteuid!());
const { end, main } = await import('./main.js');
end(await main(process.argv.slice(2), { handoff, inherited: { ...process.env }, stdio }));
