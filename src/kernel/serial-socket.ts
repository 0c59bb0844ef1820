/** zeromq sockets reject a send while another is in flight ("Socket is busy writing"): queue them. */
import type * as zmq from "zeromq";

export interface SerialSender {
  send(frames: Buffer[]): Promise<void>;
  /** Resolves once every send queued so far has gone out (or failed). */
  drained(): Promise<void>;
}

export function serialSender(socket: zmq.Router | zmq.Publisher, onError: (error: Error) => void): SerialSender {
  let chain: Promise<void> = Promise.resolve();
  return {
    send(frames) {
      chain = chain.then(() => socket.send(frames)).catch(onError);
      return chain;
    },
    drained: () => chain,
  };
}
