/** What the CLI reads and writes: stdout/stderr lines, stdin, and whether stderr is a terminal. */
import type { Output } from './output';

export interface MainIO extends Output {
  stdin: NodeJS.ReadableStream;
  isTTY: boolean;
}
