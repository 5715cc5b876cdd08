import { describe, expect, it } from 'vitest';
import { createChannelPair, type Channel } from '../wire/channel.js';
import { createProxy } from './proxy.js';
import { waitFor } from '../../test/harness.js';

/** A channel that records whether it was closed. */
function watched(): { channel: Channel; closed: () => boolean } {
  const [near] = createChannelPair();
  let closed = false;
  const close = near.close.bind(near);
  near.close = async () => {
    closed = true;
    await close();
  };
  return { channel: near, closed: () => closed };
}

describe('Proxy.close with a connect that has not settled', () => {
  it('finishes without waiting for a shared link that is still connecting, and closes what that connect yields later', async () => {
    let yieldChannel: (c: Channel) => void = () => {};
    let connects = 0;
    const proxy = createProxy({
      upstreams: [
        {
          name: 'stuck',
          mode: 'shared',
          connect: () => {
            connects++;
            return new Promise<Channel>((resolve) => {
              yieldChannel = resolve;
            });
          },
        },
      ],
      middleware: [],
    });
    // The probe opens the shared link; its connect never settles on its own.
    const probe = proxy.probe('stuck', 20);
    await waitFor(() => connects === 1 || undefined);
    await expect(probe).resolves.toMatchObject({ ok: false });
    // Before the fix this await never returned (and the test timed out).
    await proxy.close();
    const late = watched();
    yieldChannel(late.channel);
    await waitFor(() => late.closed() || undefined);
    expect(late.closed()).toBe(true);
  });
});
