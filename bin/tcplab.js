#!/usr/bin/env node
// The `tcplab` command: runs the compiled CLI (`npm ci` builds it into dist/).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2));
