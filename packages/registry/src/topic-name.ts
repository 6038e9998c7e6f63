/**
 * Kafka's topic name rule, which the key layout relies on (a topic name never holds `/`):
 * 1-249 characters of `[a-zA-Z0-9._-]`, neither `.` nor `..` (249 so that a partition directory
 * `<topic>-<partition>` fits in 255 bytes).
 */
export const MAX_TOPIC_NAME_LENGTH = 249;

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Why `name` is not a legal topic name, or undefined if it is. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'Topic name is empty';
  if (name === '.' || name === '..') return `Topic name cannot be "${name}"`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is ${name.length} characters long, over the limit of ${MAX_TOPIC_NAME_LENGTH}`;
  }
  if (!LEGAL.test(name)) {
    const bad = [...new Set([...name].filter((c) => !LEGAL.test(c)))]
      .map((c) => JSON.stringify(c))
      .join(', ');
    return `Topic name "${name}" contains illegal characters (${bad}): use only [a-zA-Z0-9._-]`;
  }
  return undefined;
}
