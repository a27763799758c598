import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core. */
export const CHROMIUM = process.env.DISSONANCE_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for every test browser: no sandbox (containers), nothing reaching beyond localhost. */
export const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Flags that turn WebGPU on (on a machine without a GPU Chromium's adapter is SwiftShader). */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader'];

/** Launches Chromium with WebGPU flags (`webgpu: true`) or with the GPU disabled. */
export async function launchChromium(options: { webgpu?: boolean; executablePath?: string; extraArgs?: readonly string[] } = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? CHROMIUM;
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} is missing: run scripts/ensure-chromium.sh (as root) to install the Debian chromium package.`);
  }
  const args = [...BASE_ARGS, ...(options.webgpu === true ? WEBGPU_ARGS : ['--disable-gpu']), ...(options.extraArgs ?? [])];
  return chromium.launch({ executablePath, args });
}
