// Step one of `npm run gen:api`: write src/api/openapi.json with the repository's Python (../.venv when it
// exists, else python3 on the PATH). The npm script then runs openapi-typescript on it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const frontend = dirname(dirname(fileURLToPath(import.meta.url)));
const venv = join(frontend, '..', '.venv');
const python =
  [join(venv, 'bin', 'python'), join(venv, 'Scripts', 'python.exe')].find((p) => existsSync(p)) ?? 'python3';

const result = spawnSync(python, [join(frontend, 'scripts', 'openapi.py'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (result.error) {
  console.error(`could not run ${python}: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
