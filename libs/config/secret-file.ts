import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** A random secret: `bytes` random bytes, base64url (43 characters for 32 bytes). */
export function generateSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Creates the data directory if needed. Mode 0711: others may traverse it but
 * not list it. Traversal matters when the service runs as root, because the
 * embedded Postgres then runs as the `postgres` OS user and must reach its
 * cluster directory inside; the secrets beside it are 0600 files.
 */
export async function ensureDataDir(dataDir: string): Promise<void> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o711 });
}

/**
 * Reads a secret kept in a 0600 file, creating it with `create()` the first
 * time. Creation uses O_EXCL, so two processes starting at once agree on
 * one value instead of overwriting each other's.
 */
export async function readOrCreateSecretFile(
  file: string,
  create: () => string,
): Promise<{ value: string; created: boolean }> {
  await ensureDataDir(path.dirname(file));
  const fresh = create();
  try {
    await fs.writeFile(file, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
    return { value: fresh, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { value: await readSecretFile(file), created: false };
}

/** Reads a secret file; tightens its mode to 0600 if someone loosened it. */
export async function readSecretFile(file: string): Promise<string> {
  const stat = await fs.stat(file);
  if ((stat.mode & 0o077) !== 0) await fs.chmod(file, 0o600);
  const value = (await fs.readFile(file, 'utf8')).trim();
  if (value === '') throw new Error(`${file} is empty: delete it to have it generated again`);
  return value;
}
