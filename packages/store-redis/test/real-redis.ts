import { startRedis, Teardown, type TestRedis } from '@mcproxy/testing';
import { afterAll, afterEach, beforeAll } from 'vitest';

/**
 * One real redis-server for the tests of a file: started before the first,
 * stopped after the last, with a teardown run after each test (stores and
 * clients a test opened). Call it at the top of the file.
 */
export function realRedis(): { readonly redis: TestRedis; readonly teardown: Teardown } {
  let redis: TestRedis | undefined;
  const teardown = new Teardown();
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());
  afterEach(() => teardown.run());
  return {
    get redis(): TestRedis {
      if (redis === undefined) throw new Error('redis-server is not started yet (use it inside a test)');
      return redis;
    },
    teardown,
  };
}
