import { afterEach, describe, expect, it } from 'vitest';
import { ECHO_SERVER, isAlive } from '../../test/harness.js';
import { RecordingLogger } from '../../test/recording-logger.js';
import { liveChildren, reapChildren, stdioUpstream } from '../index.js';

afterEach(() => reapChildren());

describe('the exit safety net', () => {
  it('SIGKILLs children still running when the process exits', async () => {
    const log = new RecordingLogger();
    const connect = stdioUpstream({ name: 'fx', command: process.execPath, args: [ECHO_SERVER, '--linger', '--ignore-sigterm'], log });
    await connect();
    const pid = (await log.next((e) => e.msg === 'upstream process started')).fields.childPid as number;
    // Exiting the test worker would take the evidence with it: run the hook itself.
    const hook = process.listeners('exit').find((fn) => fn.name === 'killAllNow');
    expect(hook).toBeDefined();
    hook?.(0);
    const exit = await log.next((e) => e.msg?.startsWith('upstream process exited') === true);
    expect(exit.fields.signal).toBe('SIGKILL');
    expect(isAlive(pid)).toBe(false);
    expect(liveChildren()).toBe(0);
  });
});
