// chord-cli under Node (--pre-js): stdout and stderr in blocking mode. NODERAWFS writes with
// fs.writeSync(1, ...); once Node has opened fd 1 as a pipe (the pthreads build's workers make
// it do so) the pipe is non-blocking, and with a slow reader writes failed with EAGAIN and whole
// rows of output were lost.
if (typeof process == 'object' && process.versions && process.versions.node) {
  [process.stdout, process.stderr].forEach(function (s) {
    if (s._handle && s._handle.setBlocking) s._handle.setBlocking(true);
  });
}
