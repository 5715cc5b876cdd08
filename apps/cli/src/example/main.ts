#!/usr/bin/env node
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createExampleServer } from './server.js';

// The program `mcproxy --example` spawns behind the proxy.
await createExampleServer().connect(new StdioServerTransport());
