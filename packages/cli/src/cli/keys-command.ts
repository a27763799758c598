import { generateEncryptionKey, generateSigningKeyPair, isDissonanceError } from '@dissonance/core';
import { bytesToBase64, KEY_ID } from '@dissonance/core/adapter-kit';
import type { CliIo } from '../run-cli.js';
import { writeSigningKeyPair } from '@dissonance/node';
import { parseCommandArgs } from './cli-args.js';

/** The text of `dissonance keys --help`. */
export const KEYS_HELP = `Usage: dissonance keys <generate|encryption> [options]

  generate [--out DIR]     write a new Ed25519 signing key pair to DIR (default .):
                             DIR/signing-key.jwk       private key (mode 0600): keep it secret
                             DIR/signing-key.pub.jwk   public key: give it to verifiers (trust policy)
                           existing key files are never overwritten
  encryption [--id KID]    print a new AES-256 key as "KID:base64" for DISSONANCE_ENCRYPTION_KEYS
                           (KID defaults to k<unix seconds>); put it FIRST in the list to make it current
  -h, --help               print this help
`;

/** `dissonance keys …`: key generation. Exit 0 on success, 1 on failure, 2 on a bad command line. */
export async function runKeysCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help') {
    io.out(KEYS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'generate') {
    const parsed = parseCommandArgs(rest, { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (typeof parsed === 'string' || parsed.positionals.length > 0)
      return usage(io, typeof parsed === 'string' ? parsed : `unexpected argument "${parsed.positionals[0]}"`);
    if (parsed.values.help === true) {
      io.out(KEYS_HELP);
      return 0;
    }
    const out = typeof parsed.values.out === 'string' ? parsed.values.out : '.';
    try {
      const files = await writeSigningKeyPair(out, await generateSigningKeyPair());
      io.out(
        `key id ${files.keyId}\nprivate key ${files.privateKeyPath} (mode 0600)\npublic key ${files.publicKeyPath}\n`,
      );
      return 0;
    } catch (error) {
      return failed(io, error);
    }
  }
  if (sub === 'encryption') {
    const parsed = parseCommandArgs(rest, { id: { type: 'string' } });
    if (typeof parsed === 'string' || parsed.positionals.length > 0)
      return usage(io, typeof parsed === 'string' ? parsed : `unexpected argument "${parsed.positionals[0]}"`);
    const id = typeof parsed.values.id === 'string' ? parsed.values.id : `k${Math.floor(Date.now() / 1000)}`;
    if (!KEY_ID.test(id)) return usage(io, `--id must be 1–64 characters of A–Z, a–z, 0–9, ".", "_", "-"`);
    io.out(`${id}:${bytesToBase64(generateEncryptionKey())}\n`);
    return 0;
  }
  return usage(io, `unknown keys command "${sub}"`);
}

function usage(io: CliIo, message: string): number {
  io.err(`dissonance keys: ${message}\nRun "dissonance keys --help" for usage.\n`);
  return 2;
}

function failed(io: CliIo, error: unknown): number {
  io.err(`dissonance keys: ${isDissonanceError(error) ? error.message : String(error)}\n`);
  return 1;
}
