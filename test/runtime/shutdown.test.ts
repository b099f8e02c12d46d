import { pino } from 'pino';
import { Shutdown } from '../../libs/runtime/index.js';

const silent = pino({ level: 'silent' });

function recorder() {
  const events: string[] = [];
  let exited: (code: number) => void = () => undefined;
  const exit = new Promise<number>((resolve) => (exited = resolve));
  const shutdown = new Shutdown(silent, {
    exit: (code) => {
      events.push(`exit ${code}`);
      exited(code);
    },
  });
  return { events, exit, shutdown };
}

describe('graceful shutdown', () => {
  it('undoes startup in reverse order, Postgres last, then exits 0', async () => {
    const { events, exit, shutdown } = recorder();
    for (const name of ['postgres', 'projector', 'http']) {
      shutdown.add(name, async () => void events.push(name));
    }
    shutdown.onSignal('SIGTERM');
    expect(await exit).toBe(0);
    expect(events).toEqual(['http', 'projector', 'postgres', 'exit 0']);
  });

  it('runs the remaining steps when one fails, and exits 1', async () => {
    const { events, exit, shutdown } = recorder();
    shutdown.add('postgres', async () => void events.push('postgres'));
    shutdown.add('http', async () => {
      throw new Error('boom');
    });
    shutdown.onSignal('SIGINT');
    expect(await exit).toBe(1);
    expect(events).toEqual(['postgres', 'exit 1']);
  });

  it('waits for a startup in progress, so what it starts is stopped too', async () => {
    const { events, exit, shutdown } = recorder();
    let finishStartup: () => void = () => undefined;
    void shutdown.whileStarting(
      new Promise<void>((resolve) => (finishStartup = resolve)).then(() => {
        shutdown.add('postgres', async () => void events.push('postgres'));
      }),
    );
    shutdown.onSignal('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([]);
    finishStartup();
    expect(await exit).toBe(0);
    expect(events).toEqual(['postgres', 'exit 0']);
  });

  it('exits at once on a second signal', async () => {
    const { events, shutdown } = recorder();
    shutdown.add('stuck', () => new Promise(() => undefined));
    shutdown.onSignal('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 10));
    shutdown.onSignal('SIGINT');
    expect(events).toEqual(['exit 1']);
  });
});
