import { stopCoverageUnderSetuid } from './setuid-guard.js';
import { end, main } from './main.js';

stopCoverageUnderSetuid();
end(await main(process.argv.slice(2)));
