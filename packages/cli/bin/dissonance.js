#!/usr/bin/env node
// The `dissonance` bin. A committed file (not dist/cli.js itself) so that npm links it at install time, before
// the first build of a workspace checkout; the published package carries both.
import '../dist/cli.js';
