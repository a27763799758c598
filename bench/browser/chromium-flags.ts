/** Debian's Chromium (or $DISSONANCE_CHROMIUM), driven by playwright-core. */
export const CHROMIUM = process.env.DISSONANCE_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for the bench browser: no sandbox (containers), nothing reaching beyond localhost. */
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
export const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--use-webgpu-adapter=swiftshader',
];
