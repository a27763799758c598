import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { createArtifactVerifier, isDissonanceError } from '@dissonance/core';
import { sha256Hex } from '@dissonance/core/adapter-kit';
import type { CliIo } from '../run-cli.js';
import { readKeyFile } from '@dissonance/node';
import { parseCommandArgs } from './cli-args.js';
import { manifestSignature, readManifestFile } from './manifest-json.js';

/** The text of `dissonance verify --help`. */
export const VERIFY_HELP = `Usage: dissonance verify <model.onnx> --pub <public key> [--pub …] [--manifest <manifest.json>]

Checks a model against its manifest (default <model>.manifest.json): the sha256 and size it records, and its
Ed25519 signature by one of the given public keys (JWK or SPKI PEM); ONNX models are also checked for
external data outside their folder. Exit 0 when valid; 1 with the reason when not.

Options:
  --pub FILE        trusted public key file (repeatable)
  --manifest FILE   the model's manifest
  -h, --help        print this help
`;

/** `dissonance verify`: exit 0 valid, 1 refused (reason on stderr), 2 on a bad command line. */
export async function runVerifyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(argv, {
    pub: { type: 'string', multiple: true },
    manifest: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (typeof parsed === 'string') return usage(io, parsed);
  if (parsed.values.help === true) {
    io.out(VERIFY_HELP);
    return 0;
  }
  const [model, extra] = parsed.positionals;
  if (model === undefined) return usage(io, 'the model file is missing');
  if (extra !== undefined) return usage(io, `unexpected argument "${extra}"`);
  const pubs = parsed.values.pub;
  if (!Array.isArray(pubs) || pubs.length === 0) return usage(io, '--pub is required');
  const manifestPath = typeof parsed.values.manifest === 'string' ? parsed.values.manifest : `${model}.manifest.json`;
  try {
    const bytes = new Uint8Array(await readFile(model));
    const manifest = (await readManifestFile(manifestPath)) ?? {};
    const format = typeof manifest.format === 'string' ? manifest.format : extname(model).slice(1) || 'onnx';
    const sha256 = await sha256Hex(bytes);
    if (manifest.sha256 !== undefined && manifest.sha256 !== sha256) {
      return invalid(
        io,
        `${model} does not match its manifest: sha256 ${sha256}, manifest says ${String(manifest.sha256)} (tampered)`,
      );
    }
    if (manifest.size !== undefined && manifest.size !== bytes.length) {
      return invalid(io, `${model} holds ${bytes.length} bytes, its manifest says ${String(manifest.size)} (tampered)`);
    }
    const keys = await Promise.all(pubs.map((path) => readKeyFile(path)));
    const verifier = createArtifactVerifier({ keys, formats: [format] });
    const signature = manifestSignature(manifest);
    await verifier.verify({ format, bytes }, signature, model);
    io.out(`valid: ${model} (sha256 ${sha256}) is signed by key ${signature?.keyId ?? ''}\n`);
    return 0;
  } catch (error) {
    if (isDissonanceError(error) && error.code !== 'E_INPUT' && error.code !== 'E_CONFIG')
      return invalid(io, error.message);
    io.err(`dissonance verify: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function invalid(io: CliIo, reason: string): number {
  io.err(`dissonance verify: INVALID: ${reason}\n`);
  return 1;
}

function usage(io: CliIo, message: string): number {
  io.err(`dissonance verify: ${message}\nRun "dissonance verify --help" for usage.\n`);
  return 2;
}
