/**
 * A canvas to draw a digit on, and the down-sampling that turns the drawing into a row like the digits data
 * set's (scikit-learn's `load_digits`, from UCI's optdigits): the ink's bounding box is scaled to fit a 30×30
 * box centred in a 32×32 bitmap (the data set's digits fill the height of their bitmaps), and each of the 8×8 blocks of 4×4 pixels counts its inked pixels, 0..16.
 */

/** Side of the bitmap the 8×8 blocks are counted on. */
const BITMAP = 32;
/** Side of the box the ink's longer side is scaled to: the data set's digits fill the bitmap's height. */
const BOX = 30;

/** Wires pointer drawing onto `canvas` (white ink on black); `onStroke` runs after each stroke. */
export function attachDrawPad(canvas: HTMLCanvasElement, onStroke: () => void): { clear(): void } {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const clear = (): void => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  let drawing = false;
  const at = (event: PointerEvent): [number, number] => {
    const rect = canvas.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) * canvas.width) / rect.width,
      ((event.clientY - rect.top) * canvas.height) / rect.height,
    ];
  };
  canvas.addEventListener('pointerdown', (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    const [x, y] = at(event);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = canvas.width / 9;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 0.01, y);
    ctx.stroke();
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drawing) return;
    const [x, y] = at(event);
    ctx.lineTo(x, y);
    ctx.stroke();
  });
  const end = (): void => {
    if (!drawing) return;
    drawing = false;
    onStroke();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return { clear };
}

/** The drawing as 64 values 0..16 (row-major 8×8), or undefined when nothing is drawn. */
export function digitFeatures(canvas: HTMLCanvasElement): number[] | undefined {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let minX = width;
  let minY = height;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[(y * width + x) * 4]! > 64) {
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
    }
  }
  if (maxX < 0) return undefined;
  const w = maxX - minX + 1;
  const h = maxY - minY + 1;
  const scale = BOX / Math.max(w, h);
  const bitmap = document.createElement('canvas');
  bitmap.width = BITMAP;
  bitmap.height = BITMAP;
  const small = bitmap.getContext('2d', { willReadFrequently: true })!;
  small.fillStyle = '#000';
  small.fillRect(0, 0, BITMAP, BITMAP);
  small.imageSmoothingEnabled = true;
  small.imageSmoothingQuality = 'high';
  const dw = w * scale;
  const dh = h * scale;
  small.drawImage(canvas, minX, minY, w, h, (BITMAP - dw) / 2, (BITMAP - dh) / 2, dw, dh);
  const pixels = small.getImageData(0, 0, BITMAP, BITMAP).data;
  const features: number[] = [];
  for (let by = 0; by < 8; by++) {
    for (let bx = 0; bx < 8; bx++) {
      let on = 0;
      for (let y = by * 4; y < by * 4 + 4; y++)
        for (let x = bx * 4; x < bx * 4 + 4; x++) if (pixels[(y * BITMAP + x) * 4]! > 96) on++;
      features.push(on);
    }
  }
  return features;
}

/** Paints 64 values 0..16 as an 8×8 grey image on `canvas`. */
export function paintFeatures(canvas: HTMLCanvasElement, features: readonly number[] | undefined): void {
  const ctx = canvas.getContext('2d')!;
  const cell = canvas.width / 8;
  for (let i = 0; i < 64; i++) {
    const v = Math.round(((features?.[i] ?? 0) / 16) * 255);
    ctx.fillStyle = `rgb(${v},${v},${v})`;
    ctx.fillRect((i % 8) * cell, Math.floor(i / 8) * cell, cell, cell);
  }
}
