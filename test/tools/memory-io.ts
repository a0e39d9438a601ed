import { readFileSync } from 'node:fs';
import type { ToolIO } from '../../src/tools/tcpdump.js';

/** A ToolIO over the real files for reading, capturing output and written files. */
export class MemoryIO implements ToolIO {
  out = '';
  err = '';
  readonly written = new Map<string, Uint8Array>();

  readFile(path: string): Uint8Array | { error: string } {
    if (this.written.has(path)) return this.written.get(path)!;
    try {
      return new Uint8Array(readFileSync(path));
    } catch {
      return { error: 'No such file or directory' };
    }
  }

  writeFile(path: string, bytes: Uint8Array): { error: string } | undefined {
    if (path.startsWith('/nonexistent/')) return { error: 'No such file or directory' };
    this.written.set(path, bytes);
    return undefined;
  }

  stdout(text: string): void {
    this.out += text;
  }

  stderr(text: string): void {
    this.err += text;
  }

  interfaceName(ifIndex: number): string | undefined {
    return ifIndex === 1 ? 'lo' : undefined;
  }
}
