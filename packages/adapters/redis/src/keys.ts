/** The Redis keys of one consumer group of one topic. */
export interface GroupKeys {
  /** The topic's stream, shared by all groups: `<prefix>:<topic>`. */
  readonly stream: string;
  /** The group's own stream of retries due now: `<prefix>:<topic>:<group>:retry`. */
  readonly retry: string;
  /** The group's sorted set of delayed retries, scored by due time: `<prefix>:<topic>:<group>:delayed`. */
  readonly delayed: string;
  /** The dead-letter topic's stream: `<prefix>:<deadLetterTopic>`. */
  readonly deadLetter: string;
}

/** The stream key of `topic`. */
export function streamKey(prefix: string, topic: string): string {
  return `${prefix}:${topic}`;
}

/** The keys of `group` on `topic`. */
export function groupKeys(prefix: string, topic: string, group: string, deadLetterTopic: string): GroupKeys {
  const stream = streamKey(prefix, topic);
  return {
    stream,
    retry: `${stream}:${group}:retry`,
    delayed: `${stream}:${group}:delayed`,
    deadLetter: streamKey(prefix, deadLetterTopic),
  };
}

/** A client name Redis accepts (no spaces or newlines) for `CLIENT SETNAME`. */
export function clientName(...parts: readonly string[]): string {
  return parts.join(':').replace(/[^\x21-\x7e]/g, '_');
}
