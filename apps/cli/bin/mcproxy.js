#!/usr/bin/env node
// Committed so that `pnpm install` can link the bin before anything is built;
// the program itself is the compiled dist/bin.js.
import '../dist/bin.js';
