// Ingest worker entry: rebuilds the collect setup from the config it is sent, then runs tasks and posts their results.
import { ingestWorkerSetup } from '../wiring.ts';
import { runTask, toTaskError, type FromWorker, type ToWorker, type WorkerContext } from './ingest-task.ts';

declare const self: Worker;

let ctx: WorkerContext | null = null;
let setupError: unknown = null;

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  if (msg.type === 'init') {
    try {
      ctx = { init: msg.init, ...ingestWorkerSetup(msg.init.config) };
    } catch (error) {
      // Reported with the first task, which is where the main thread waits.
      setupError = error;
    }
    return;
  }
  let reply: FromWorker;
  try {
    if (ctx === null) throw setupError ?? new Error('ingest worker received a task before init');
    reply = { type: 'result', id: msg.id, result: await runTask(ctx, msg.task) };
  } catch (error) {
    reply = { type: 'error', id: msg.id, error: toTaskError(error) };
  }
  self.postMessage(reply);
};
