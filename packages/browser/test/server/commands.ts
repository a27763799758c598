/**
 * Browser commands of the `browser` vitest project: what a test in Chromium asks of the Node side. They
 * run in the vitest process (with the playwright page and context of the calling test file) and reach the
 * real server started by `global-setup.ts` through {@link serverControl}.
 */
import type { BrowserCommand } from 'vitest/node';
import { serverControl, type ServerControl } from './control.js';
import type { EventView, FeedbackLog, PythonFixture } from './published.js';

/** The route matcher cutting each browser context off from the server, while it is cut off. */
const cuts = new WeakMap<object, (url: URL) => boolean>();

/** The browser project's commands, for `browser.commands` in vitest.config.ts. */
export const browserCommands = {
  publishModel: (async (_context, name: string, bytes: number[], tags?: Record<string, string>) =>
    serverControl().publish(name, bytes, tags)) satisfies BrowserCommand<Parameters<ServerControl['publish']>>,
  feedbackLog: (async () => serverControl().feedbackLog()) satisfies BrowserCommand<[]>,
  dropFeedbackAnswers: (async (_context, count: number) =>
    serverControl().dropFeedbackAnswers(count)) satisfies BrowserCommand<[number]>,
  onnxNode: (async (_context, bytes: number[], x: number[], rows: number) =>
    serverControl().onnxNode(bytes, x, rows)) satisfies BrowserCommand<Parameters<ServerControl['onnxNode']>>,
  nodeEngineEvents: (async (
    _context,
    proposer: number[],
    critic: number[],
    batches: Array<{ x: number[]; rows: number; ids: string[] }>,
  ) => serverControl().nodeEngineEvents(proposer, critic, batches)) satisfies BrowserCommand<
    Parameters<ServerControl['nodeEngineEvents']>
  >,
  pythonFixtures: (async () => serverControl().pythonFixtures()) satisfies BrowserCommand<[]>,
  /**
   * Cuts the calling test file's browser context off from the server (`false`: every request to it fails as
   * it does offline) or reconnects it. Playwright's `setOffline` would also cut vitest's own connection to
   * the page, so only the server's origin is cut.
   */
  setServerReachable: (async (context, reachable: boolean) => {
    const cut = cuts.get(context.context);
    if (reachable) {
      cuts.delete(context.context);
      if (cut !== undefined) await context.context.unroute(cut);
    } else if (cut === undefined) {
      const origin = serverControl().url;
      const toServer = (url: URL): boolean => url.href.startsWith(`${origin}/`);
      cuts.set(context.context, toServer);
      await context.context.route(toServer, (route) => route.abort('internetdisconnected'));
    }
  }) satisfies BrowserCommand<[boolean]>,
};

declare module 'vitest/browser' {
  interface BrowserCommands {
    publishModel(
      name: string,
      bytes: number[],
      tags?: Record<string, string>,
    ): Promise<{ version: string; sha256: string }>;
    feedbackLog(): Promise<FeedbackLog>;
    dropFeedbackAnswers(count: number): Promise<void>;
    onnxNode(bytes: number[], x: number[], rows: number): Promise<number[]>;
    nodeEngineEvents(
      proposer: number[],
      critic: number[],
      batches: Array<{ x: number[]; rows: number; ids: string[] }>,
    ): Promise<EventView[]>;
    pythonFixtures(): Promise<PythonFixture[]>;
    setServerReachable(reachable: boolean): Promise<void>;
  }
}
