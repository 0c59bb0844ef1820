/**
 * Input requests between the main thread, where cells ask for input, and the
 * I/O thread, which owns the stdin socket. The socket lives on the I/O thread
 * so that a synchronous `prompt()` can block the main thread (Atomics.wait)
 * while the reply is received; the reply comes back on a dedicated
 * MessagePort, read synchronously with `receiveMessageOnPort` after the
 * shared counter says it was posted. An awaitable `input()` uses the same
 * path without blocking.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";

/** How a request ended: the user's line, or an interrupt of the kernel while it waited. */
export type InputOutcome = { kind: "reply"; value: string } | { kind: "interrupted" };

export interface InputAnswer {
  id: number;
  outcome: InputOutcome;
}

/** The I/O thread's end: where it posts answers and counts them. */
export interface StdinAnswerPort {
  port: MessagePort;
  /** Slot 0 counts answers posted; the main thread waits on it. */
  posted: Int32Array;
}

/** Posts an answer and wakes a main thread blocked in `waitSync`. */
export function postAnswer(to: StdinAnswerPort, answer: InputAnswer): void {
  to.port.postMessage(answer);
  Atomics.add(to.posted, 0, 1);
  Atomics.notify(to.posted, 0);
}

/** An input request that ended in an interrupt: the cell sees it as one. */
export class InputInterrupted extends Error {
  override name = "KeyboardInterrupt";
  constructor() {
    super("interrupted while waiting for input");
  }
}

function settle(outcome: InputOutcome): string {
  if (outcome.kind === "interrupted") throw new InputInterrupted();
  return outcome.value;
}

/** The main thread's end. At most one request waits at a time, as in ipykernel. */
export class StdinClient {
  readonly #port: MessagePort;
  readonly #posted = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  /** The other end, to hand to the I/O thread (transfer `answerPort.port`). */
  readonly answerPort: StdinAnswerPort;
  #nextId = 1;
  #waiting: { id: number; resolve: (value: string) => void; reject: (error: Error) => void } | undefined;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.answerPort = { port: port2, posted: this.#posted };
    this.#port.on("message", (answer: InputAnswer) => this.#onAnswer(answer));
    // A pending request must not keep a finished kernel process alive.
    this.#port.unref();
  }

  /** Sends the request through `send(id)` and resolves with the user's line. */
  request(send: (id: number) => void): Promise<string> {
    const id = this.#begin();
    const answer = new Promise<string>((resolve, reject) => (this.#waiting = { id, resolve, reject }));
    send(id);
    return answer;
  }

  /**
   * Sends the request through `send(id)` and blocks the thread until the
   * answer comes. It keeps no state while it waits: the SIGINT watchdog may
   * end it with a termination, which skips `finally` blocks.
   */
  requestSync(send: (id: number) => void): string {
    const id = this.#begin();
    send(id);
    for (;;) {
      const seen = Atomics.load(this.#posted, 0);
      for (let got = receiveMessageOnPort(this.#port); got !== undefined; got = receiveMessageOnPort(this.#port)) {
        const answer = got.message as InputAnswer;
        if (answer.id === id) return settle(answer.outcome);
      }
      Atomics.wait(this.#posted, 0, seen);
    }
  }

  /** Ends a waiting awaitable request as interrupted (SIGINT from outside the kernel). */
  interrupt(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(new InputInterrupted());
  }

  #begin(): number {
    if (this.#waiting !== undefined) throw new Error("input requested while another input request is still waiting for its reply");
    return this.#nextId++;
  }

  #onAnswer(answer: InputAnswer): void {
    const waiting = this.#waiting;
    // Answers to requests that already ended (interrupted here first) are dropped.
    if (waiting === undefined || waiting.id !== answer.id) return;
    this.#waiting = undefined;
    try {
      waiting.resolve(settle(answer.outcome));
    } catch (error) {
      waiting.reject(error as Error);
    }
  }
}
