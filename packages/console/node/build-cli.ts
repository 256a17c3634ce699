// `pnpm --filter @receiptflow/console run build`: builds the console (or finds the current build)
// and prints its folder. `receipts serve` does the same on start, so this is only needed to
// build ahead (a deploy, docs/deploy.md).
import { ensureConsoleBuilt } from './build.js';

const dir = await ensureConsoleBuilt({ log: (m) => process.stderr.write(`${m}\n`) });
process.stdout.write(`${dir}\n`);
