import fs from 'node:fs/promises';
import path from 'node:path';
import { type TenantryConfig } from './config.js';
import { generateSecret, readOrCreateSecretFile, readSecretFile } from './secret-file.js';

export const OPERATOR_TOKEN_FILE = 'operator-token';

export interface OperatorToken {
  readonly token: string;
  /** Where it came from: TENANTRY_OPERATOR_TOKEN, or the file in the data dir. */
  readonly source: 'environment' | 'data-dir';
  /** The file holding it, when it lives in the data dir. */
  readonly file?: string;
  /** True on the start that generated it. */
  readonly created: boolean;
}

/** The operator token's first 8 characters: what logs and lists may show (DESIGN.md §4). */
export function tokenPrefix(token: string): string {
  return token.slice(0, 8);
}

/**
 * The operator token (DESIGN.md §4): TENANTRY_OPERATOR_TOKEN if set, else
 * the one kept in the data dir, generated (32 random bytes, base64url, mode
 * 0600) on the first start. Every later start reuses it.
 */
export async function resolveOperatorToken(config: TenantryConfig): Promise<OperatorToken> {
  if (config.operatorToken !== undefined) {
    return { token: config.operatorToken, source: 'environment', created: false };
  }
  const file = path.join(config.dataDir, OPERATOR_TOKEN_FILE);
  const { value, created } = await readOrCreateSecretFile(file, () => generateSecret(32));
  return { token: value, source: 'data-dir', file, created };
}

/** Like resolveOperatorToken, but never creates one (for the CLI): undefined when none exists yet. */
export async function readOperatorToken(config: TenantryConfig): Promise<OperatorToken | undefined> {
  if (config.operatorToken !== undefined) {
    return { token: config.operatorToken, source: 'environment', created: false };
  }
  const file = path.join(config.dataDir, OPERATOR_TOKEN_FILE);
  try {
    await fs.access(file);
  } catch {
    return undefined;
  }
  return { token: await readSecretFile(file), source: 'data-dir', file, created: false };
}
