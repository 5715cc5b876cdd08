// Preloaded (node --import) into the mcproxy process of the large-message
// case, and nowhere else: it watches the event loop's delay, and on SIGUSR2
// writes the longest delay since the last signal to $BENCH_LOOP_FILE and
// starts over. The longest delay is the longest time the proxy held every
// other session up, whatever else shares its CPU.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_LOOP_FILE;
if (file !== undefined) {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let seq = 0;
  process.on('SIGUSR2', () => {
    seq++;
    writeFileSync(file, JSON.stringify({ seq, maxMs: delay.max / 1e6 }));
    delay.reset();
  });
}
