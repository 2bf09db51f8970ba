// Appended inside the Emscripten module factory (--post-js): small hooks the TypeScript loader
// needs that Emscripten 3.1.6 does not export. No model logic here.

// Ends every pthread Worker of this instance (a disposed model must not keep Node alive).
Module['chordTerminateWorkers'] = function () {
  if (typeof PThread === 'undefined') return;
  PThread.terminateAllThreads();
  PThread.unusedWorkers.forEach(function (w) {
    w.terminate();
  });
  PThread.unusedWorkers = [];
};

// Node: pool Workers should not keep the process alive on their own.
Module['chordUnrefWorkers'] = function () {
  if (typeof PThread === 'undefined' || !ENVIRONMENT_IS_NODE) return;
  PThread.unusedWorkers.concat(PThread.runningWorkers).forEach(function (w) {
    if (w.unref) w.unref();
  });
};
