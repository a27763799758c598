import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { DissonanceError, importSigningKey, isDissonanceError, signArtifact, signatureTags } from '@dissonance/core';
import { SIGNATURE_KEY_ID_TAG, SIGNATURE_TAG, checkOnnxArtifact } from '@dissonance/core/adapter-kit';
import { writeFileAtomic } from '@dissonance/node';
import type { CliIo } from '../run-cli.js';
import { privateKeyExposed, readKeyFile } from '@dissonance/node';
import { parseCommandArgs } from './cli-args.js';
import { readManifestFile } from './manifest-json.js';

/** The text of `dissonance sign --help`. */
export const SIGN_HELP = `Usage: dissonance sign <model.onnx> --key <private key> [--manifest <manifest.json>]

Signs an ONNX model with an Ed25519 private key (JWK from "dissonance keys generate", or PKCS#8 PEM) and
writes its sha256, size and signature into the manifest (default <model>.manifest.json; an existing one is
updated: other fields are kept). A registry manifest (one with "tags") gets the signature in its tags.

Options:
  --key FILE        private key file
  --manifest FILE   manifest to write or update
  -h, --help        print this help
`;

/** `dissonance sign`: exit 0 when the manifest was written, 1 on failure, 2 on a bad command line. */
export async function runSignCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(argv, {
    key: { type: 'string' },
    manifest: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (typeof parsed === 'string') return usage(io, parsed);
  if (parsed.values.help === true) {
    io.out(SIGN_HELP);
    return 0;
  }
  const [model, extra] = parsed.positionals;
  if (model === undefined) return usage(io, 'the model file is missing');
  if (extra !== undefined) return usage(io, `unexpected argument "${extra}"`);
  const keyPath = parsed.values.key;
  if (typeof keyPath !== 'string') return usage(io, '--key is required');
  const manifestPath = typeof parsed.values.manifest === 'string' ? parsed.values.manifest : `${model}.manifest.json`;
  try {
    const bytes = new Uint8Array(await readFile(model));
    const manifest = await readManifestFile(manifestPath, { optional: true });
    const format = typeof manifest?.format === 'string' ? manifest.format : extname(model).slice(1) || 'onnx';
    if (format === 'onnx') checkOnnxArtifact(bytes, { what: model });
    if (await privateKeyExposed(keyPath))
      io.err(`dissonance sign: warning: ${keyPath} is readable by other users (chmod 600 it)\n`);
    const key = await importSigningKey(await readKeyFile(keyPath));
    const signed = await signArtifact({ format, bytes }, key);
    const registryManifest = manifest !== undefined && typeof manifest.tags === 'object' && manifest.tags !== null;
    if (registryManifest && manifest.sha256 !== signed.sha256) {
      // A registry version is immutable: signing must not re-describe it (an encrypted or altered artifact file).
      throw new DissonanceError(
        'E_ARTIFACT_DIGEST',
        `${model} does not match the sha256 of registry manifest ${manifestPath}; not signing it`,
      );
    }
    const next: Record<string, unknown> = { ...(manifest ?? {}), format, sha256: signed.sha256, size: signed.size };
    if (registryManifest) {
      const tags = { ...(manifest?.tags as Record<string, string>) };
      delete tags[SIGNATURE_TAG];
      delete tags[SIGNATURE_KEY_ID_TAG];
      next.tags = { ...tags, ...signatureTags(signed.signature) };
    } else {
      next.signature = signed.signature;
    }
    await writeFileAtomic(manifestPath, `${JSON.stringify(next, null, 2)}\n`);
    io.out(`signed ${model}\nsha256 ${signed.sha256}\nkey id ${key.keyId}\nmanifest ${manifestPath}\n`);
    return 0;
  } catch (error) {
    io.err(
      `dissonance sign: ${isDissonanceError(error) ? error.message : error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

function usage(io: CliIo, message: string): number {
  io.err(`dissonance sign: ${message}\nRun "dissonance sign --help" for usage.\n`);
  return 2;
}
