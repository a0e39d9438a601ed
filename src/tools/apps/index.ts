/**
 * The commands of this part: clients and servers. telnet (inetutils 2.4), nc
 * (netcat-openbsd 1.219), curl (7.88.1, plain HTTP), nginx (1.22.1, Debian's
 * default site) and tcplab's own line echo server, `echo-server`. Each is a
 * command of the OS layer (src/os): it talks to the network only through its
 * process's sockets, reads its terminal line by line, and waits only on what
 * its process gives it. docs/tools-apps.md lists what each does and where it
 * differs from the real program.
 */

import type { Command } from '../../os/process.js';
import { curl } from './curl.js';
import { echoServer } from './echo-server.js';
import { nc } from './nc.js';
import { nginx } from './nginx.js';
import { telnet } from './telnet.js';

export const APP_COMMANDS: Readonly<Record<string, Command>> = {
  telnet,
  nc,
  curl,
  nginx,
  'echo-server': echoServer,
};
