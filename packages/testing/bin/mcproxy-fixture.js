#!/usr/bin/env node
// Committed so that `pnpm install` can link the bin before anything is built.
import '../dist/fixture-server.js';
