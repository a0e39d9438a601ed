/**
 * Where the project's shared data lives: `../shared` beside the repository
 * (the Linux reference traces and the conformance suites), wherever the
 * repository is cloned.
 */

import { join } from 'node:path';

export const SHARED = join(import.meta.dirname, '../../shared');
export const TRACES_DIR = join(SHARED, 'linux-traces');
export const CONFORMANCE_DIR = join(SHARED, 'conformance');
export const TCPDUMP_PCAP_DIR = join(CONFORMANCE_DIR, 'tcpdump/pcap');
