// Loaded by mocha before any spec (see .mocharc.json): jax-js must see the
// runtime's globals (Worker, navigator) the first time it is imported.
import "../src/runtime/globals.js";
