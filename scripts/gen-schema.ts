// Writes profiles/schema.json from the zod ProfileSchema (the single source of truth).
// `--check` exits 1 when the committed file is stale (CI runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PROFILES_DIR } from '../src/config/load-profile.ts';
import { ProfileSchema } from '../src/config/profile-schema.ts';

const file = path.join(PROFILES_DIR, 'schema.json');
const schema = z.toJSONSchema(ProfileSchema, { io: 'input', target: 'draft-2020-12' });
const text = `${JSON.stringify({ title: 'mcp-warden profile', ...schema }, null, 2)}\n`;
if (process.argv.includes('--check')) {
  const current = readFileSync(file, 'utf8');
  if (current !== text) {
    process.stderr.write(`${file} is stale: run npm run schema\n`);
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
  process.stderr.write(`wrote ${file}\n`);
}
