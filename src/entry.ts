import { end, main } from './main.js';

end(await main(process.argv.slice(2)));
